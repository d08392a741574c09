// The ingest function's settings contract: the one typed object (the stack config maps onto it in
// config/functionSettings.ts, the same way for infra and local mode), and its environment encoding and decoding
// side by side. Only this file names the environment variables. No sharp here: infra loads it when `pulumi up`
// runs, where only `dependencies` exist.
import { envReader } from "../shared/envSettings";
import { ImageContentType, isImageContentType } from "../shared/imageTypes";
import { isResizeFit, RESIZE_FITS, ResizeFit } from "../shared/resizeFit";
import { isVariantFormat, VARIANT_FORMATS, VariantFormat } from "../shared/variantFormats";

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
    /** Variant sizes made at ingest, rendered as the Resizer would; absent: none. */
    eager?: EagerVariantSettings;
    /** Where "ready"/"rejected" events are published (the stack's SNS topic); local mode has none. */
    uploadEventsTopicArn?: string;
}

export interface EagerVariantSettings {
    /** config eagerResolutions (may be empty) */
    resolutions: string[];
    /** The Resizer's own rendering settings (config resizeFit, resizeQuality). */
    fit: ResizeFit;
    quality: number;
    /** The formats made besides the original's (config formats, when autoFormat lets browsers get them): big AVIF
     *  variants, too slow for a first hit, are made here ahead of any request. */
    formats: VariantFormat[];
}

const INGEST_ENV = {
    bucket: "BUCKET_NAME",
    allowedContentTypes: "ALLOWED_CONTENT_TYPES",
    maxUploadBytes: "MAX_UPLOAD_BYTES",
    limitInputPixels: "LIMIT_INPUT_PIXELS",
    allowedResolutions: "ALLOWED_RESOLUTIONS",
    eager: "EAGER_RESOLUTIONS",
    uploadEventsTopicArn: "UPLOAD_EVENTS_TOPIC_ARN",
} as const satisfies Record<keyof IngestSettings, string>;
/** The eager variants' rendering settings, under the Resizer's names (set only with EAGER_RESOLUTIONS). */
const EAGER_RENDER_ENV = { fit: "RESIZE_FIT", quality: "RESIZE_QUALITY", formats: "RESIZE_FORMATS" } as const;

export function encodeIngestSettings(settings: IngestSettings): Record<string, string> {
    return {
        [INGEST_ENV.bucket]: settings.bucket,
        [INGEST_ENV.allowedContentTypes]: settings.allowedContentTypes.join(","),
        [INGEST_ENV.maxUploadBytes]: String(settings.maxUploadBytes),
        [INGEST_ENV.limitInputPixels]: String(settings.limitInputPixels),
        [INGEST_ENV.allowedResolutions]: settings.allowedResolutions.join(","),
        ...(settings.eager === undefined
            ? {}
            : {
                  [INGEST_ENV.eager]: settings.eager.resolutions.join(","),
                  [EAGER_RENDER_ENV.fit]: settings.eager.fit,
                  [EAGER_RENDER_ENV.quality]: String(settings.eager.quality),
                  [EAGER_RENDER_ENV.formats]: settings.eager.formats.join(","),
              }),
        ...(settings.uploadEventsTopicArn === undefined
            ? {}
            : { [INGEST_ENV.uploadEventsTopicArn]: settings.uploadEventsTopicArn }),
    };
}

export function decodeIngestSettings(env: Record<string, string | undefined>): IngestSettings {
    const { required, positive, list } = envReader(env);
    const types = required(INGEST_ENV.allowedContentTypes).split(",");
    const unknown = types.filter((type) => !isImageContentType(type));
    if (unknown.length > 0)
        throw new Error(`${INGEST_ENV.allowedContentTypes} has unknown types: ${unknown.join(", ")}`);
    const eager = (): EagerVariantSettings => {
        const fit = required(EAGER_RENDER_ENV.fit);
        if (!isResizeFit(fit)) throw new Error(`${EAGER_RENDER_ENV.fit} must be one of ${RESIZE_FITS.join(", ")}`);
        const formats = list(EAGER_RENDER_ENV.formats);
        if (!formats.every(isVariantFormat))
            throw new Error(`${EAGER_RENDER_ENV.formats} must list only ${VARIANT_FORMATS.join(", ")}`);
        return {
            resolutions: list(INGEST_ENV.eager),
            fit,
            quality: positive(EAGER_RENDER_ENV.quality),
            formats,
        };
    };
    const uploadEventsTopicArn = env[INGEST_ENV.uploadEventsTopicArn] || undefined;
    return {
        bucket: required(INGEST_ENV.bucket),
        allowedContentTypes: types as ImageContentType[],
        maxUploadBytes: positive(INGEST_ENV.maxUploadBytes),
        limitInputPixels: positive(INGEST_ENV.limitInputPixels),
        allowedResolutions: list(INGEST_ENV.allowedResolutions),
        ...(env[INGEST_ENV.eager] === undefined ? {} : { eager: eager() }),
        ...(uploadEventsTopicArn === undefined ? {} : { uploadEventsTopicArn }),
    };
}
