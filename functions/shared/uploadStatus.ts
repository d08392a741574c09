// The status object of one upload (status/<id>.json): written by the ingest function, read by the status route.

export type UploadState = "pending" | "ready" | "rejected";

export interface UploadStatus {
    status: UploadState;
    /** The original's key once ready, uploads/<id>.<ext> (where it will be while pending). */
    key: string;
    /** As displayed (orientation applied); null until ready. */
    width: number | null;
    height: number | null;
    /** sharp's format name: jpeg, png, webp, gif, avif; null until ready. */
    format: string | null;
    /** The stored original's size; null until ready. */
    bytes: number | null;
    /** ThumbHash of the image as displayed, base64 (ready only). */
    placeholder?: string;
    /** Every variant's key (made on first request through the CDN). */
    variants: string[];
    /** The variants already stored when it became ready (config eagerResolutions): the first view of each is a
     *  cache hit. The others are made on first request. Ready only. */
    storedVariants?: string[];
    /** Why the upload was refused (rejected only). */
    error?: { code: string; message: string };
}
