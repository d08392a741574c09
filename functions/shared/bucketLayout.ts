// Where things live in the image bucket (shared by the stack, the functions and local mode, so no Pulumi import
// here): the one place that knows the prefixes, the variant key format and the size pattern.

/** Originals: uploads/<uuid>.<ext> (uploads/<sub>/<uuid>.<ext> with auth). Variants: <W>x<H>/uploads/... */
export const UPLOADS_PREFIX = "uploads/";

/** Keys are immutable (a new upload gets a new key), so objects may be cached for a year: the CDN's TTLs and the
 *  variants' Cache-Control both say so. */
export const IMMUTABLE_MAX_AGE_SECONDS = 31_536_000;

/** Every original's key as a wildcard pattern (`*` = any run of characters), as IAM resources, S3 prefix
 *  conditions and CloudFront path patterns all read it. */
export const ORIGINAL_KEYS_PATTERN = `${UPLOADS_PREFIX}*`;
/** Every variant's key in the same pattern language. It also matches some keys under uploads/ (e.g.
 *  uploads/1x1/uploads/a.jpg): whoever grants on it must put the originals' rule first or deny them. */
export const VARIANT_KEYS_PATTERN = `*x*/${ORIGINAL_KEYS_PATTERN}`;

/** The variant keys of one size ("300x300/uploads/*"). */
export function sizeKeysPattern(size: string): string {
    return `${size}/${ORIGINAL_KEYS_PATTERN}`;
}

/** A variant size "<W>x<H>": positive, at most six digits each, no leading zeros (groups: width, height). */
const SIZE = "([1-9]\\d{0,5})x([1-9]\\d{0,5})";
export const SIZE_PATTERN = new RegExp(`^${SIZE}$`);
/** A variant key "<W>x<H>/<original key>" (groups: width, height, original key). */
export const VARIANT_KEY_PATTERN = new RegExp(`^${SIZE}/(.+)$`);
/** A listed first segment of variant keys, "<W>x<H>/". */
export const VARIANT_PREFIX_PATTERN = new RegExp(`^${SIZE}/$`);
/** A first segment shaped like a size, valid or not ("0300x300/" too): what is routed to the Resizer to answer. */
export const SIZE_LIKE_SEGMENT = /^\d+x\d+\//;
