// The Resizer's settings contract: the one typed object (the stack config maps onto it in config/functionSettings.ts,
// the same way for infra and local mode), and the environment variable each field travels in, side by side (one
// envCodec table encodes and decodes). Only this file names the environment variables. No sharp (nor any other Lambda-
// only package) here: infra/resize/resizer.ts loads it when `pulumi up` runs, where only `dependencies` are installed.
import {
    envCodec,
    flag,
    list,
    METRICS_NAMESPACE,
    oneOf,
    optional,
    optionalText,
    positive,
    text,
} from "../shared/envSettings";
import { RESIZE_FITS, RESIZE_GRAVITIES, ResizeFit, ResizeGravity } from "../shared/resizeFit";
import type { LogLevel } from "../shared/structuredLog";
import { VARIANT_FORMATS, VariantFormat } from "../shared/variantFormats";

export interface ResizeSettings {
    bucket: string;
    uploadPrefix: string;
    allowedResolutions: string[];
    maxDimension: number;
    fit: ResizeFit;
    /** Where `cover` crops (config resizeGravity). */
    gravity: ResizeGravity;
    quality: number;
    limitInputPixels: number;
    /** Formats a variant may be rendered in besides its original's ("<W>x<H>/<format>/..." keys); absent or empty:
     *  none, such keys answer 403. */
    formats?: VariantFormat[];
    /** Threads libvips may use for one image (sharp.concurrency): the function's vCPUs. Absent: sharp's default. */
    threads?: number;
    /** CDN base URL for /resize redirects when the request does not carry one (on AWS: stage variable cdnUrl). */
    cdnUrl?: string;
    /** privateDelivery: viewers come with signed URLs, so a redirect to a stored variant keeps their query string
     *  (resize.ts). Absent on a public stack. */
    privateDelivery?: boolean;
    /** The stack's CloudWatch namespace of the pipeline's metrics (functions/shared/pipelineMetrics.ts). */
    metricsNamespace: string;
}

/** The variable each setting travels in. */
const RESIZE_FORMATS = "RESIZE_FORMATS";
const RESIZE_THREADS = "RESIZE_THREADS";
const PRIVATE_DELIVERY = "PRIVATE_DELIVERY";
const RESIZE_ENV = envCodec<ResizeSettings>({
    bucket: text("BUCKET_NAME"),
    uploadPrefix: text("UPLOAD_PREFIX"),
    allowedResolutions: list("ALLOWED_RESOLUTIONS"),
    maxDimension: positive("MAX_RESIZE_DIMENSION"),
    fit: oneOf("RESIZE_FIT", RESIZE_FITS),
    gravity: oneOf("RESIZE_GRAVITY", RESIZE_GRAVITIES),
    quality: positive("RESIZE_QUALITY"),
    limitInputPixels: positive("LIMIT_INPUT_PIXELS"),
    formats: optional(RESIZE_FORMATS, list(RESIZE_FORMATS, VARIANT_FORMATS)),
    threads: optional(RESIZE_THREADS, positive(RESIZE_THREADS)),
    cdnUrl: optionalText("CDN_URL"),
    privateDelivery: optional(PRIVATE_DELIVERY, flag(PRIVATE_DELIVERY)),
    metricsNamespace: text(METRICS_NAMESPACE),
});

export const encodeResizeSettings = (settings: ResizeSettings) => RESIZE_ENV.encode(settings);
export const decodeResizeSettings = (env: Record<string, string | undefined>) => RESIZE_ENV.decode(env);

/** The port the container server (functions/resize/container.ts) listens on, and the task's port mapping. */
export const RESIZE_CONTAINER_PORT = 8080;
const RESIZE_SERVER_ENV = { port: "PORT", logLevel: "POWERTOOLS_LOG_LEVEL" } as const;

/** The container's environment: the Resizer's settings plus the port it listens on and, when given, its log level
 *  (POWERTOOLS_LOG_LEVEL, which Powertools' Logger reads where Lambda's loggingConfig does not reach). */
export function encodeResizeContainerSettings(
    settings: ResizeSettings,
    port = RESIZE_CONTAINER_PORT,
    logLevel?: LogLevel,
) {
    return {
        ...encodeResizeSettings(settings),
        [RESIZE_SERVER_ENV.port]: String(port),
        ...(logLevel ? { [RESIZE_SERVER_ENV.logLevel]: logLevel } : {}),
    };
}

/** The port from the environment (0: any free one, for tests); RESIZE_CONTAINER_PORT when unset. */
export function decodeResizeServerPort(env: Record<string, string | undefined>): number {
    const value = env[RESIZE_SERVER_ENV.port];
    if (value === undefined || value === "") return RESIZE_CONTAINER_PORT;
    const port = Number(value);
    if (!/^\d+$/.test(value) || port > 65535) throw new Error(`${RESIZE_SERVER_ENV.port} must be a port (0-65535)`);
    return port;
}
