// The ingest function's settings contract: the one typed object, built from the stack config (the same way by
// infra and local mode), and its environment encoding and decoding side by side. Only this file names the
// environment variables. No sharp here: infra loads it when `pulumi up` runs, where only `dependencies` exist.
import type { PipelineConfig } from "../../config/stackConfig";
import { envReader } from "../shared/envSettings";
import { ImageContentType, isImageContentType } from "../shared/imageTypes";

export interface IngestSettings {
    bucket: string;
    /** The types an upload may be (presign signs only these; ingest checks the bytes really are one). */
    allowedContentTypes: ImageContentType[];
    /** Largest upload kept, in bytes. */
    maxUploadBytes: number;
    /** Largest image decoded, in pixels summed over all frames. */
    limitInputPixels: number;
    /** Variant sizes: the status names each variant's key (empty with allowAnyResolution). */
    allowedResolutions: string[];
}

export function ingestSettingsFromConfig(config: PipelineConfig, deployment: { bucket: string }): IngestSettings {
    return {
        bucket: deployment.bucket,
        allowedContentTypes: config.allowedContentTypes,
        maxUploadBytes: config.maxUploadBytes,
        limitInputPixels: config.limitInputPixels,
        allowedResolutions: config.allowedResolutions,
    };
}

const INGEST_ENV = {
    bucket: "BUCKET_NAME",
    allowedContentTypes: "ALLOWED_CONTENT_TYPES",
    maxUploadBytes: "MAX_UPLOAD_BYTES",
    limitInputPixels: "LIMIT_INPUT_PIXELS",
    allowedResolutions: "ALLOWED_RESOLUTIONS",
} as const satisfies Record<keyof IngestSettings, string>;

export function encodeIngestSettings(settings: IngestSettings): Record<string, string> {
    return {
        [INGEST_ENV.bucket]: settings.bucket,
        [INGEST_ENV.allowedContentTypes]: settings.allowedContentTypes.join(","),
        [INGEST_ENV.maxUploadBytes]: String(settings.maxUploadBytes),
        [INGEST_ENV.limitInputPixels]: String(settings.limitInputPixels),
        [INGEST_ENV.allowedResolutions]: settings.allowedResolutions.join(","),
    };
}

export function decodeIngestSettings(env: Record<string, string | undefined>): IngestSettings {
    const { required, positive, list } = envReader(env);
    const types = required(INGEST_ENV.allowedContentTypes).split(",");
    const unknown = types.filter((type) => !isImageContentType(type));
    if (unknown.length > 0)
        throw new Error(`${INGEST_ENV.allowedContentTypes} has unknown types: ${unknown.join(", ")}`);
    return {
        bucket: required(INGEST_ENV.bucket),
        allowedContentTypes: types as ImageContentType[],
        maxUploadBytes: positive(INGEST_ENV.maxUploadBytes),
        limitInputPixels: positive(INGEST_ENV.limitInputPixels),
        allowedResolutions: list(INGEST_ENV.allowedResolutions),
    };
}
