// The presign function's settings contract: the one typed object (the stack config maps onto it in
// config/functionSettings.ts, the same way for infra and local mode), and its environment encoding and decoding
// side by side. Only this file names the environment variables. No Pulumi and no SDK import: the serialized
// closure, the stack and local mode load it.
import { envReader } from "../shared/envSettings";
import { ImageContentType, isImageContentType } from "../shared/imageTypes";

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

/** Environment variable names the Lambda's settings travel in. */
const PRESIGN_ENV = {
    bucket: "BUCKET_NAME",
    allowedContentTypes: "ALLOWED_CONTENT_TYPES",
    maxUploadBytes: "MAX_UPLOAD_BYTES",
    expiresIn: "UPLOAD_EXPIRES_IN",
    cdnUrl: "CDN_URL",
    requireAuth: "REQUIRE_AUTH",
    requireUploadSize: "REQUIRE_UPLOAD_SIZE",
    grantKeyId: "GRANT_KEY_ID",
} as const satisfies Record<keyof PresignSettings, string>;

export function encodePresignSettings(settings: PresignSettings): Record<string, string> {
    return {
        [PRESIGN_ENV.bucket]: settings.bucket,
        [PRESIGN_ENV.allowedContentTypes]: settings.allowedContentTypes.join(","),
        [PRESIGN_ENV.maxUploadBytes]: String(settings.maxUploadBytes),
        [PRESIGN_ENV.expiresIn]: String(settings.expiresIn),
        [PRESIGN_ENV.cdnUrl]: settings.cdnUrl,
        [PRESIGN_ENV.requireAuth]: String(settings.requireAuth),
        [PRESIGN_ENV.requireUploadSize]: String(settings.requireUploadSize ?? false),
        ...(settings.grantKeyId ? { [PRESIGN_ENV.grantKeyId]: settings.grantKeyId } : {}),
    };
}

export function decodePresignSettings(env: Record<string, string | undefined>): PresignSettings {
    const { required, positive } = envReader(env);
    const types = required(PRESIGN_ENV.allowedContentTypes).split(",");
    const unknown = types.filter((type) => !isImageContentType(type));
    if (unknown.length > 0)
        throw new Error(`${PRESIGN_ENV.allowedContentTypes} has unknown types: ${unknown.join(", ")}`);
    return {
        bucket: required(PRESIGN_ENV.bucket),
        allowedContentTypes: types as ImageContentType[],
        maxUploadBytes: positive(PRESIGN_ENV.maxUploadBytes),
        expiresIn: positive(PRESIGN_ENV.expiresIn),
        cdnUrl: required(PRESIGN_ENV.cdnUrl).replace(/\/+$/, ""),
        requireAuth: env[PRESIGN_ENV.requireAuth] === "true",
        requireUploadSize: env[PRESIGN_ENV.requireUploadSize] === "true",
        ...(env[PRESIGN_ENV.grantKeyId] ? { grantKeyId: env[PRESIGN_ENV.grantKeyId] } : {}),
    };
}
