// The Resizer's settings contract: the one typed object, built from the stack config (the same way by infra and
// local mode), and its environment encoding and decoding side by side. Only this file names the environment
// variables. No sharp (nor any other Lambda-only package) here: infra/resizer.ts loads it when `pulumi up` runs,
// where only `dependencies` are installed.
import type { PipelineConfig } from "../../config/stackConfig";
import { isVariantFormat, UPLOADS_PREFIX, VARIANT_FORMATS, VariantFormat } from "../shared/bucketLayout";
import { envReader } from "../shared/envSettings";

/** How a variant fills its box (sharp's `fit`); the config accepts exactly these. */
export const RESIZE_FITS = ["cover", "contain", "inside"] as const;
export type ResizeFit = (typeof RESIZE_FITS)[number];

export interface ResizeSettings {
    bucket: string;
    uploadPrefix: string;
    allowedResolutions: string[];
    maxDimension: number;
    fit: ResizeFit;
    quality: number;
    limitInputPixels: number;
    /** Formats a variant may be rendered in besides its original's ("<W>x<H>/<format>/..." keys); absent or empty:
     *  none, such keys answer 403. */
    formats?: VariantFormat[];
    /** Threads libvips may use for one image (sharp.concurrency): the function's vCPUs. Absent: sharp's default. */
    threads?: number;
    /** CDN base URL for /resize redirects when the request does not carry one (on AWS: stage variable cdnUrl). */
    cdnUrl?: string;
}

/** What the deployment decides, not the config: the bucket, and (local mode) the CDN URL. On AWS the Resizer is
 *  made before the CDN, so its /resize redirects learn the CDN URL from the API stage instead. */
export interface ResizeDeployment {
    bucket: string;
    cdnUrl?: string;
}

export function resizeSettingsFromConfig(config: PipelineConfig, deployment: ResizeDeployment): ResizeSettings {
    return {
        bucket: deployment.bucket,
        uploadPrefix: UPLOADS_PREFIX,
        allowedResolutions: config.allowedResolutions,
        maxDimension: config.maxResizeDimension,
        fit: config.resizeFit,
        quality: config.resizeQuality,
        limitInputPixels: config.limitInputPixels,
        formats: config.formats,
        threads:
            config.resizerRuntime === "fargate" ? fargateVcpus(config.fargateCpu) : lambdaVcpus(config.resizerMemoryMb),
        ...(deployment.cdnUrl === undefined ? {} : { cdnUrl: deployment.cdnUrl }),
    };
}

/** Lambda gives CPU in proportion to memory, "at 1,769 MB, a function has the equivalent of one vCPU", up to 6
 *  at 10,240 MB (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html): a thread per started
 *  vCPU, so 1536 MB (the default) keeps one thread and 1770 MB gets a second. */
export const LAMBDA_MB_PER_VCPU = 1769;
export function lambdaVcpus(memoryMb: number): number {
    return Math.min(6, Math.max(1, Math.ceil(memoryMb / LAMBDA_MB_PER_VCPU)));
}

/** A Fargate task has its `cpu` units, "1024 CPU units is the equivalent of 1 vCPU"
 *  (https://repost.aws/knowledge-center/ecs-cpu-allocation); a fraction of one vCPU still gets one thread. */
export function fargateVcpus(cpuUnits: string): number {
    return Math.max(1, Math.floor(Number(cpuUnits) / 1024));
}

const RESIZE_ENV = {
    bucket: "BUCKET_NAME",
    uploadPrefix: "UPLOAD_PREFIX",
    allowedResolutions: "ALLOWED_RESOLUTIONS",
    maxDimension: "MAX_RESIZE_DIMENSION",
    fit: "RESIZE_FIT",
    quality: "RESIZE_QUALITY",
    limitInputPixels: "LIMIT_INPUT_PIXELS",
    formats: "RESIZE_FORMATS",
    threads: "RESIZE_THREADS",
    cdnUrl: "CDN_URL",
} as const satisfies Record<keyof ResizeSettings, string>;

export function encodeResizeSettings(settings: ResizeSettings): Record<string, string> {
    return {
        [RESIZE_ENV.bucket]: settings.bucket,
        [RESIZE_ENV.uploadPrefix]: settings.uploadPrefix,
        [RESIZE_ENV.allowedResolutions]: settings.allowedResolutions.join(","),
        [RESIZE_ENV.maxDimension]: String(settings.maxDimension),
        [RESIZE_ENV.fit]: settings.fit,
        [RESIZE_ENV.quality]: String(settings.quality),
        [RESIZE_ENV.limitInputPixels]: String(settings.limitInputPixels),
        ...(settings.formats === undefined ? {} : { [RESIZE_ENV.formats]: settings.formats.join(",") }),
        ...(settings.threads === undefined ? {} : { [RESIZE_ENV.threads]: String(settings.threads) }),
        ...(settings.cdnUrl === undefined ? {} : { [RESIZE_ENV.cdnUrl]: settings.cdnUrl }),
    };
}

export function decodeResizeSettings(env: Record<string, string | undefined>): ResizeSettings {
    const { required, positive, list } = envReader(env);
    const fit = required(RESIZE_ENV.fit);
    if (!(RESIZE_FITS as readonly string[]).includes(fit))
        throw new Error(`${RESIZE_ENV.fit} must be one of ${RESIZE_FITS.join(", ")}`);
    const cdnUrl = env[RESIZE_ENV.cdnUrl] || undefined;
    const formats = env[RESIZE_ENV.formats] === undefined ? undefined : list(RESIZE_ENV.formats);
    if (formats && !formats.every(isVariantFormat))
        throw new Error(`${RESIZE_ENV.formats} must list only ${VARIANT_FORMATS.join(", ")}`);
    return {
        bucket: required(RESIZE_ENV.bucket),
        uploadPrefix: required(RESIZE_ENV.uploadPrefix),
        allowedResolutions: list(RESIZE_ENV.allowedResolutions),
        maxDimension: positive(RESIZE_ENV.maxDimension),
        fit: fit as ResizeFit,
        quality: positive(RESIZE_ENV.quality),
        limitInputPixels: positive(RESIZE_ENV.limitInputPixels),
        ...(formats === undefined ? {} : { formats: formats as VariantFormat[] }),
        ...(env[RESIZE_ENV.threads] === undefined ? {} : { threads: positive(RESIZE_ENV.threads) }),
        ...(cdnUrl === undefined ? {} : { cdnUrl }),
    };
}

/** The port the container server (functions/resize/container.ts) listens on, and the task's port mapping. */
export const RESIZE_CONTAINER_PORT = 8080;
const RESIZE_SERVER_ENV = { port: "PORT" } as const;

/** The container's environment: the Resizer's settings plus the port it listens on. */
export function encodeResizeContainerSettings(settings: ResizeSettings, port = RESIZE_CONTAINER_PORT) {
    return { ...encodeResizeSettings(settings), [RESIZE_SERVER_ENV.port]: String(port) };
}

/** The port from the environment (0: any free one, for tests); RESIZE_CONTAINER_PORT when unset. */
export function decodeResizeServerPort(env: Record<string, string | undefined>): number {
    const value = env[RESIZE_SERVER_ENV.port];
    if (value === undefined || value === "") return RESIZE_CONTAINER_PORT;
    const port = Number(value);
    if (!/^\d+$/.test(value) || port > 65535) throw new Error(`${RESIZE_SERVER_ENV.port} must be a port (0-65535)`);
    return port;
}
