// The Resizer's settings and how they travel in its environment. No sharp (nor any other Lambda-only package)
// here: infra/resizer.ts imports these names when `pulumi up` runs, where only `dependencies` are installed.
import { envReader } from "../shared/envSettings";

/** The same union as renderVariant's (kept here so the type-checker need not load sharp's types at deploy time). */
export type ResizeFit = "cover" | "contain" | "inside";

export interface ResizeSettings {
    bucket: string;
    uploadPrefix: string;
    allowedResolutions: string[];
    maxDimension: number;
    fit: ResizeFit;
    quality: number;
    limitInputPixels: number;
    /** CDN base URL for /resize redirects when the request does not carry one (stage variable cdnUrl). */
    cdnUrl?: string;
}

export const RESIZE_ENV = {
    bucket: "BUCKET_NAME",
    uploadPrefix: "UPLOAD_PREFIX",
    allowedResolutions: "ALLOWED_RESOLUTIONS",
    maxDimension: "MAX_RESIZE_DIMENSION",
    fit: "RESIZE_FIT",
    quality: "RESIZE_QUALITY",
    limitInputPixels: "LIMIT_INPUT_PIXELS",
    cdnUrl: "CDN_URL",
} as const;

export function resizeSettingsFromEnv(env: Record<string, string | undefined>): ResizeSettings {
    const { required, positive, list } = envReader(env);
    const fit = required(RESIZE_ENV.fit);
    if (fit !== "cover" && fit !== "contain" && fit !== "inside") throw new Error(`${RESIZE_ENV.fit} must be cover, contain or inside`);
    return {
        bucket: required(RESIZE_ENV.bucket),
        uploadPrefix: required(RESIZE_ENV.uploadPrefix),
        allowedResolutions: list(RESIZE_ENV.allowedResolutions),
        maxDimension: positive(RESIZE_ENV.maxDimension),
        fit,
        quality: positive(RESIZE_ENV.quality),
        limitInputPixels: positive(RESIZE_ENV.limitInputPixels),
        cdnUrl: env[RESIZE_ENV.cdnUrl] || undefined,
    };
}
