// GET /uploads/<uuid>/url[?size=<W>x<H>] (privateDelivery): a CloudFront signed URL, canned policy, for a ready
// upload's original or for its variant of one allowed size, answered as { url, expiresAt }. The upload is found the
// way the status route finds it (uploadStatusRoute.ts): with a JWT authorizer, under the caller's own prefix only,
// so another user's id is answered 404 like an unknown one, never 403 (ids cannot be probed). The URL is the one a
// viewer asks for (`<W>x<H>/uploads/...`, the plain variant key): with autoFormat the CDN's function rewrites it to
// a format's key after CloudFront has checked the signature on it (docs/private-images.md, "Formats").
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-canned-policy.html
import type { S3Client } from "@aws-sdk/client-s3";
import { formatVariantKey, SIZE_PATTERN, UPLOADS_PREFIX } from "../shared/bucketLayout";
import { signCannedUrl } from "../shared/cloudfrontSignature";
import { HttpError, HttpEvent, RouteAnswer } from "../shared/http";
import { cdnPathOf } from "../shared/objectKey";
import { quoteInput } from "../shared/quoteInput";
import { parseVariantKey } from "../resize/variantKey";
import type { UrlSigningSettings } from "./settings";
import type { SigningKeySource } from "./urlSigningKey";
import { uploadStatus } from "./uploadStatusRoute";

/** The route's answer: a CloudFront signed URL (canned policy) and when it stops working (ISO 8601, whole seconds).
 *  The client library's signedImageUrl (client/src/signedImageUrl.ts) reads it; tests/unit/signedUrlClient.spec.ts
 *  holds the two together. */
export interface SignedImageUrl {
    url: string;
    expiresAt: string;
}

export interface SignedUrlRouteDeps {
    s3: S3Client;
    bucket: string;
    /** The CDN's base URL, without a trailing slash: the URL's scheme and host are part of what is signed. */
    cdnUrl: string;
    now: () => number;
    /** Absent on a public stack: the route then does not exist. */
    urlSigning?: UrlSigningSettings;
    signingKey?: SigningKeySource;
}

/** The one query parameter the route takes. */
const SIZE_PARAMETER = "size";

/** Answers GET /uploads/<uuid>/url for the caller (`owner`: their key prefix, from the JWT). */
export function signedUrlRoute(
    deps: SignedUrlRouteDeps,
): (event: HttpEvent, uuid: string, owner: () => string) => Promise<RouteAnswer> {
    return async (event, uuid, owner) => {
        const { urlSigning, signingKey } = deps;
        if (!urlSigning || !signingKey) {
            throw new HttpError(404, "not_found", "Images are public on this stack (privateDelivery is off)");
        }
        const size = sizeOf(event);
        const status = await uploadStatus({ s3: deps.s3, bucket: deps.bucket, now: deps.now }, uuid, owner);
        if (status.status === "pending")
            throw new HttpError(409, "not_ready", "The upload is still being checked; ask again once it is ready");
        if (status.status !== "ready")
            throw new HttpError(404, "no_image", `The upload was ${status.status}: it has no image`);
        const key = size === undefined ? status.key : variantKeyOf(size, status.key, urlSigning);
        const expiresAt = Math.floor(deps.now() / 1000) + urlSigning.expiresIn;
        const url = signCannedUrl({
            url: `${deps.cdnUrl}${cdnPathOf(key)}`,
            expiresAt,
            keyPairId: urlSigning.keyPairId,
            privateKey: await signingKey(),
        });
        const answer: SignedImageUrl = { url, expiresAt: new Date(expiresAt * 1000).toISOString() };
        return { status: 200, body: { ...answer } };
    };
}

/** The variant's key, by the Resizer's own size rule (allowed sizes, or any up to maxDimension: one source for
 *  both). A size it refuses (its 403 to a viewer) is the caller's bad request here: 400, with the Resizer's reason. */
function variantKeyOf(size: string, originalKey: string, urlSigning: UrlSigningSettings): string {
    try {
        return parseVariantKey(formatVariantKey(size, undefined, originalKey), {
            uploadPrefix: UPLOADS_PREFIX,
            allowedResolutions: urlSigning.allowedResolutions,
            maxDimension: urlSigning.maxDimension,
        }).variantKey;
    } catch (error) {
        if (error instanceof HttpError) throw new HttpError(400, error.code, error.message);
        throw error;
    }
}

/** The size asked for, if any: "<W>x<H>", the only parameter (a misspelt one would silently sign the original). */
function sizeOf(event: HttpEvent): string | undefined {
    const query = new URLSearchParams(event.rawQueryString ?? "");
    const unknown = [...query.keys()].find((name) => name !== SIZE_PARAMETER);
    if (unknown !== undefined)
        throw new HttpError(400, "invalid_parameter", `Unknown parameter ${quoteInput(unknown)}; only size=<W>x<H>`);
    const size = query.get(SIZE_PARAMETER) ?? undefined;
    if (size !== undefined && !SIZE_PATTERN.test(size))
        throw new HttpError(400, "invalid_size", `${quoteInput(size)} is not a size like 300x300`);
    return size;
}
