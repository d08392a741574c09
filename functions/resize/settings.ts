// The Resizer's settings contract: the one typed object (the stack config maps onto it in
// config/functionSettings.ts, the same way for infra and local mode), and its environment encoding and decoding
// side by side. Only this file names the environment variables. No sharp (nor any other Lambda-only package)
// here: infra/resizer.ts loads it when `pulumi up` runs, where only `dependencies` are installed.
import { envReader } from "../shared/envSettings";
import { isResizeFit, RESIZE_FITS, ResizeFit } from "../shared/resizeFit";
import { isVariantFormat, VARIANT_FORMATS, VariantFormat } from "../shared/variantFormats";

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
    if (!isResizeFit(fit)) throw new Error(`${RESIZE_ENV.fit} must be one of ${RESIZE_FITS.join(", ")}`);
    const cdnUrl = env[RESIZE_ENV.cdnUrl] || undefined;
    const formats = env[RESIZE_ENV.formats] === undefined ? undefined : list(RESIZE_ENV.formats);
    if (formats && !formats.every(isVariantFormat))
        throw new Error(`${RESIZE_ENV.formats} must list only ${VARIANT_FORMATS.join(", ")}`);
    return {
        bucket: required(RESIZE_ENV.bucket),
        uploadPrefix: required(RESIZE_ENV.uploadPrefix),
        allowedResolutions: list(RESIZE_ENV.allowedResolutions),
        maxDimension: positive(RESIZE_ENV.maxDimension),
        fit,
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
