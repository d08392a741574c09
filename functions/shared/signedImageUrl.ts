// What a client of a private stack (privateDelivery) needs to show an image: where to ask for a signed URL, the
// answer's shape, and when to ask again. Pure and browser-safe (no Node module, no I/O): the client library's
// `signedImageUrl` is built on it (it adds the fetch), and the upload page follows the same rules (web/gallery.js).
// The route is functions/presign/signedUrlRoute.ts; docs/private-images.md explains the whole.
import { parseOriginalKey } from "./bucketLayout";
import { signedUrlExpiry } from "./cloudfrontPolicy";

/** The signing route's answer: a CloudFront signed URL (canned policy) and when it stops working. */
export interface SignedImageUrl {
    url: string;
    /** ISO 8601, whole seconds. */
    expiresAt: string;
}

/** An upload's id in an original key "uploads/<uuid>.<ext>" or "uploads/<owner>/<uuid>.<ext>": the uuid the
 *  route takes (the owner comes from the caller's JWT, never from the path). Undefined for any other key. */
export function uploadIdOfKey(originalKey: string): string | undefined {
    return parseOriginalKey(originalKey)?.id.split("/").pop();
}

/** The route's path under the API for one upload: the original, or the variant of a size "<W>x<H>". */
export function signedUrlPath(uploadId: string, size?: string): string {
    const path = `/uploads/${encodeURIComponent(uploadId)}/url`;
    return size === undefined ? path : `${path}?size=${encodeURIComponent(size)}`;
}

/** The answer, checked: a signed URL whose own expiry is the one announced. Throws on anything else. */
export function parseSignedImageUrl(body: unknown): SignedImageUrl {
    const { url, expiresAt } = (body ?? {}) as Record<string, unknown>;
    if (typeof url !== "string" || typeof expiresAt !== "string")
        throw new Error("The signing route answered without a url and expiresAt");
    const expiry = signedUrlExpiry(url);
    if (expiry === undefined || expiry * 1000 !== Date.parse(expiresAt))
        throw new Error("The signing route answered a URL whose expiry is not the one it announced");
    return { url, expiresAt };
}

/** Whether a signed URL should be asked for again: it expires within `marginSeconds` (a URL must still be valid
 *  when the browser's request reaches CloudFront, which checks the expiry then:
 *  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-urls.html). */
export function signedUrlNeedsRefresh(signed: SignedImageUrl, nowMs: number, marginSeconds = 60): boolean {
    return Date.parse(signed.expiresAt) - nowMs <= marginSeconds * 1000;
}
