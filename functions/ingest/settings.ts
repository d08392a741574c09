// The ingest function's settings contract: the one typed object (the stack config maps onto it in
// config/functionSettings.ts, the same way for infra and local mode), and the environment variable each field travels
// in, side by side (one envCodec table encodes and decodes). Only this file names the environment variables. No sharp
// here: infra loads it when `pulumi up` runs, where only `dependencies` exist.
import {
    contentTypes,
    envCodec,
    list,
    METRICS_NAMESPACE,
    oneOf,
    optional,
    optionalText,
    positive,
    text,
} from "../shared/envSettings";
import type { ImageContentType } from "../shared/imageTypes";
import { RESIZE_FITS, RESIZE_GRAVITIES, ResizeFit, ResizeGravity } from "../shared/resizeFit";
import { VARIANT_FORMATS, VariantFormat } from "../shared/variantFormats";

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
    /** The stack's CloudWatch namespace of the pipeline's metrics (functions/shared/pipelineMetrics.ts). */
    metricsNamespace: string;
}

export interface EagerVariantSettings {
    /** config eagerResolutions (may be empty) */
    resolutions: string[];
    /** The Resizer's own rendering settings (config resizeFit, resizeGravity, resizeQuality). */
    fit: ResizeFit;
    gravity: ResizeGravity;
    quality: number;
    /** The formats made besides the original's (config formats, when autoFormat lets browsers get them): big AVIF
     *  variants, too slow for a first hit, are made here ahead of any request. */
    formats: VariantFormat[];
}

/** The eager variants' rendering settings travel under the Resizer's names, set only with EAGER_RESOLUTIONS. */
const EAGER_RESOLUTIONS = "EAGER_RESOLUTIONS";
const EAGER_ENV = envCodec<EagerVariantSettings>({
    resolutions: list(EAGER_RESOLUTIONS),
    fit: oneOf("RESIZE_FIT", RESIZE_FITS),
    gravity: oneOf("RESIZE_GRAVITY", RESIZE_GRAVITIES),
    quality: positive("RESIZE_QUALITY"),
    formats: list("RESIZE_FORMATS", VARIANT_FORMATS),
});

/** The variable each setting travels in. */
const INGEST_ENV = envCodec<IngestSettings>({
    bucket: text("BUCKET_NAME"),
    allowedContentTypes: contentTypes("ALLOWED_CONTENT_TYPES"),
    maxUploadBytes: positive("MAX_UPLOAD_BYTES"),
    limitInputPixels: positive("LIMIT_INPUT_PIXELS"),
    allowedResolutions: list("ALLOWED_RESOLUTIONS"),
    eager: optional(EAGER_RESOLUTIONS, EAGER_ENV),
    uploadEventsTopicArn: optionalText("UPLOAD_EVENTS_TOPIC_ARN"),
    metricsNamespace: text(METRICS_NAMESPACE),
});

export const encodeIngestSettings = (settings: IngestSettings) => INGEST_ENV.encode(settings);
export const decodeIngestSettings = (env: Record<string, string | undefined>) => INGEST_ENV.decode(env);
