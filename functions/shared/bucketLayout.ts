// Where things live in the image bucket (shared by the stack and local mode, so no Pulumi import here).

/** Originals: uploads/<uuid>.<ext> (uploads/<sub>/<uuid>.<ext> with auth). Variants: <W>x<H>/uploads/... */
export const UPLOADS_PREFIX = "uploads/";
