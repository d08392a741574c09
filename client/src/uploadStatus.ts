// An upload's status as the API's status route answers it (GET <apiUrl>/uploads/<id>; the server's type is
// functions/shared/uploadStatus.ts), and what a page can build from a ready one without knowing the stack's config.
import { checkedCdnUrl, imageUrl } from "./imageUrls.js";

export type UploadState = "pending" | "ready" | "rejected" | "failed";

export interface UploadStatus {
    status: UploadState;
    /** The original's key, "uploads/<id>.<ext>". */
    key: string;
    /** As displayed (orientation applied); null until ready. */
    width: number | null;
    height: number | null;
    format: string | null;
    bytes: number | null;
    /** ThumbHash of the image, base64 (ready only). */
    placeholder?: string;
    /** Every allowed size's variant key, "<W>x<H>/<key>" (empty when any size is allowed). */
    variants: string[];
    /** The variants already stored when it became ready. */
    storedVariants?: string[];
    /** Why it was rejected or failed. */
    error?: { code: string; message: string };
}

/** The states an upload ends in. */
export const FINAL_STATES: readonly UploadState[] = ["ready", "rejected", "failed"];

/** "640x0/uploads/<id>.jpg" → 640: a width-only variant key's width; undefined for any other key. */
const WIDTH_ONLY_KEY = /^([1-9]\d{0,5})x0\//;

/**
 * `srcset` text for a ready upload from the variant keys its status names (never rebuilt from a config): each
 * width-only variant narrower than the original, then the original at its own width. A width-only size at least as
 * wide as the original is left out: the pipeline never upscales, so that variant is the original's width and its
 * descriptor would be false.
 */
export function statusSrcSet(status: UploadStatus, options: { cdnUrl: string }): string {
    if (status?.status !== "ready" || !Number.isInteger(status.width))
        throw new TypeError("statusSrcSet needs the status of a ready upload (with its width)");
    const cdnUrl = checkedCdnUrl(options?.cdnUrl);
    const original = status.width as number;
    const candidates = new Map<number, string>([[original, imageUrl(status.key, { cdnUrl })]]);
    for (const key of status.variants) {
        const width = Number(WIDTH_ONLY_KEY.exec(key)?.[1]);
        if (width < original && key.slice(key.indexOf("/") + 1) === status.key)
            candidates.set(width, `${cdnUrl}/${key}`);
    }
    return [...candidates]
        .sort(([a], [b]) => a - b)
        .map(([width, url]) => `${url} ${width}w`)
        .join(", ");
}
