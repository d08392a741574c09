// The presign function's settings contract: the one typed object (the stack config maps onto it in
// config/functionSettings.ts, the same way for infra and local mode), and the environment variable each field travels
// in, side by side (one envCodec table encodes and decodes). Only this file names the environment variables. No Pulumi
// and no SDK import: the serialized closure, the stack and local mode load it.
import { contentTypes, envCodec, flag, optionalText, positive, text } from "../shared/envSettings";
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
}

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
});

export const encodePresignSettings = (settings: PresignSettings) => PRESIGN_ENV.encode(settings);
export const decodePresignSettings = (env: Record<string, string | undefined>) => PRESIGN_ENV.decode(env);
