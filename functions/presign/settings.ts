// The presign function's settings contract: the one typed object (the stack config maps onto it in
// config/functionSettings.ts, the same way for infra and local mode), and the environment variable each field travels
// in, side by side (one envCodec table encodes and decodes). Only this file names the environment variables. No Pulumi
// and no SDK import: the serialized closure, the stack and local mode load it.
import { contentTypes, envCodec, flag, list, optional, optionalText, positive, text } from "../shared/envSettings";
import type { ImageContentType } from "../shared/imageTypes";

export interface PresignSettings {
    /** Signed uploads land under its staging prefix (bucketLayout's STAGING_PREFIX, incoming/); the ingest function
     *  checks each and moves it to uploads/ (bucketLayout.uploadKeys); answers name that final key. */
    bucket: string;
    allowedContentTypes: ImageContentType[];
    maxUploadBytes: number;
    /** Seconds a URL or POST policy stays valid. */
    expiresIn: number;
    /** Public base URL of the CDN (no trailing slash): answers tell where the image will be. */
    cdnUrl: string;
    /** When true (a JWT authorizer guards the API), keys go under the caller's `sub`. */
    requireAuth: boolean;
    /** When true, a PUT is signed only for a declared byte size (so S3 refuses any other length). */
    requireUploadSize?: boolean;
    /** With requireAuth on AWS: the HMAC KMS key upload grants are signed under (functions/presign/grantKey.ts). */
    grantKeyId?: string;
    /** privateDelivery: GET /uploads/<id>/url signs CloudFront URLs (functions/presign/signedUrlRoute.ts). */
    urlSigning?: UrlSigningSettings;
}

/** How the signing route signs, and what it signs for. */
export interface UrlSigningSettings {
    /** The CloudFront public key's ID (Key-Pair-Id), in the distribution's trusted key group. */
    keyPairId: string;
    /** On AWS: the Secrets Manager secret holding the private key (PEM); local mode reads its own key file. */
    secretArn?: string;
    /** Seconds a signed URL works (config signedUrlExpiresIn). */
    expiresIn: number;
    /** The variant sizes it signs (the Resizer's rule): allowed sizes, or any up to maxDimension when empty. */
    allowedResolutions: string[];
    maxDimension: number;
}

const URL_SIGNING_KEY_PAIR_ID = "URL_SIGNING_KEY_PAIR_ID";
/** Written only on a private stack (its Key-Pair-Id marks it), so a default stack's environment is unchanged. */
const URL_SIGNING_ENV = optional(
    URL_SIGNING_KEY_PAIR_ID,
    envCodec<UrlSigningSettings>({
        keyPairId: text(URL_SIGNING_KEY_PAIR_ID),
        secretArn: optionalText("URL_SIGNING_SECRET_ARN"),
        expiresIn: positive("SIGNED_URL_EXPIRES_IN"),
        allowedResolutions: list("SIGNED_URL_SIZES"),
        maxDimension: positive("SIGNED_URL_MAX_DIMENSION"),
    }),
);

/** The variable each setting travels in. */
const PRESIGN_ENV = envCodec<PresignSettings>({
    bucket: text("BUCKET_NAME"),
    allowedContentTypes: contentTypes("ALLOWED_CONTENT_TYPES"),
    maxUploadBytes: positive("MAX_UPLOAD_BYTES"),
    expiresIn: positive("UPLOAD_EXPIRES_IN"),
    cdnUrl: text("CDN_URL", (url) => url.replace(/\/+$/, "")),
    requireAuth: flag("REQUIRE_AUTH"),
    requireUploadSize: flag("REQUIRE_UPLOAD_SIZE"),
    grantKeyId: optionalText("GRANT_KEY_ID"),
    urlSigning: URL_SIGNING_ENV,
});

export const encodePresignSettings = (settings: PresignSettings) => PRESIGN_ENV.encode(settings);
export const decodePresignSettings = (env: Record<string, string | undefined>) => PRESIGN_ENV.decode(env);
