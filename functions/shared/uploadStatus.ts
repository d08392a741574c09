// The status object of one upload (status/<id>.json): written by the ingest function (and, when every attempt of
// ingest failed, by the ingest failure consumer), read by the status route. Every upload ends in a final state.

export type UploadState = "pending" | "ready" | "rejected" | "failed";

/** The states an upload ends in: ready (served), rejected (the upload was refused) or failed (it could not be
 *  processed). A final status is never turned back into pending. */
export const FINAL_STATES: readonly UploadState[] = ["ready", "rejected", "failed"];

export function isFinal(state: UploadState | undefined): boolean {
    return state !== undefined && FINAL_STATES.includes(state);
}

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
    /** Every allowed size's variant key as a viewer asks for it, "<W>x<H>/<key>" (bucketLayout's viewerVariantKeys;
     *  the CDN picks the format by Accept; made on first request). Empty when any size is allowed. The upload page
     *  shows these. */
    variants: string[];
    /** The variants already stored when it became ready (config eagerResolutions, as many as ingest's time budget
     *  allowed): the first view of each is a cache hit. The others are made on first request. Ready only. */
    storedVariants?: string[];
    /** Why the upload was refused (rejected) or could not be processed (failed). */
    error?: { code: string; message: string };
}

/** A status that says nothing about the image yet (pending), or why there will be none (rejected, failed). */
export function statusWithoutImage(
    status: "pending" | "rejected" | "failed",
    finalKey: string,
    error?: { code: string; message: string },
): UploadStatus {
    return {
        status,
        key: finalKey,
        width: null,
        height: null,
        format: null,
        bytes: null,
        variants: [],
        ...(error ? { error } : {}),
    };
}
