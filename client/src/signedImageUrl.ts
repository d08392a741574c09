// signedImageUrl(): on a private stack (privateDelivery) the CDN serves an image only through a CloudFront signed
// URL, which the API's GET /uploads/<id>/url[?size=<W>x<H>] gives as { url, expiresAt } (docs/private-images.md;
// the route is functions/presign/signedUrlRoute.ts). This asks for one, with the caller's headers (its JWT), and
// checks the answer: a URL whose own expiry is the one announced.
import { checkedBaseUrl } from "./baseUrl.js";
import { defaultHttp, Http } from "./http.js";
import { sizeOf } from "./imageUrls.js";
import { ApiHeaders, apiHeadersOf, callApi } from "./uploadRequests.js";

/** The signing route's answer: a CloudFront signed URL and when it stops working (ISO 8601, whole seconds). */
export interface SignedImageUrl {
    url: string;
    expiresAt: string;
}

export interface SignedImageUrlOptions {
    /** The upload API's base URL (the stack output uploadApiUrl, or a path such as "/api" on the same origin). */
    apiUrl: string;
    /** The variant's size, as imageUrl() takes it; leave both out for the original. */
    width?: number;
    height?: number;
    /** Headers for the API, e.g. `{ authorization: "Bearer <JWT>" }` with jwtIssuer (only the owner may ask). */
    headers?: ApiHeaders;
    signal?: AbortSignal;
    /** The I/O seam (default: fetch). */
    http?: Http;
}

/** An upload's id in its original key "uploads/<id>.<ext>" or "uploads/<owner>/<id>.<ext>": the route takes the
 *  id alone (the owner comes from the caller's JWT, never from the path). */
export function uploadIdOfKey(key: string): string {
    const match = typeof key === "string" ? /^uploads\/(?:[^/]+\/)?([0-9a-f-]{36})\.[a-z0-9]+$/.exec(key) : null;
    if (!match)
        throw new TypeError(
            `key must be an upload's original key, such as "uploads/<id>.jpg", not ${JSON.stringify(key)}`,
        );
    return match[1];
}

/** Asks the API for a signed URL of the original (no size) or of one variant; rejects with the API's own reason
 *  (an UploadError of step "sign": 404 unknown_upload for an id that is not the caller's). */
export async function signedImageUrl(key: string, options: SignedImageUrlOptions): Promise<SignedImageUrl> {
    const apiUrl = checkedBaseUrl(options?.apiUrl, "apiUrl");
    const id = encodeURIComponent(uploadIdOfKey(key));
    const size = options.width === undefined && options.height === undefined ? undefined : sizeOf(options);
    const route = `${apiUrl}/uploads/${id}/url${size === undefined ? "" : `?size=${size}`}`;
    const answer = await callApi<unknown>(
        {
            apiUrl,
            http: options.http ?? defaultHttp,
            signal: options.signal,
            apiHeaders: apiHeadersOf(options.headers),
            progress: () => {},
        },
        "sign",
        "GET",
        route,
    );
    return checkedAnswer(answer);
}

/** Whether to ask again: the URL expires within `marginSeconds`. CloudFront checks the expiry when the request
 *  arrives (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-urls.html). */
export function signedUrlNeedsRefresh(signed: SignedImageUrl, nowMs: number, marginSeconds = 60): boolean {
    return Date.parse(signed.expiresAt) - nowMs <= marginSeconds * 1000;
}

/** The answer, checked: a canned-policy URL whose Expires (epoch seconds) is the announced expiresAt. */
function checkedAnswer(body: unknown): SignedImageUrl {
    const { url, expiresAt } = (body ?? {}) as Record<string, unknown>;
    if (typeof url !== "string" || typeof expiresAt !== "string")
        throw new TypeError("The signing route answered without a url and expiresAt");
    const expires = new URL(url).searchParams.get("Expires");
    if (expires === null || !/^\d+$/.test(expires) || Number(expires) * 1000 !== Date.parse(expiresAt))
        throw new TypeError("The signing route answered a URL whose expiry is not the one it announced");
    return { url, expiresAt };
}
