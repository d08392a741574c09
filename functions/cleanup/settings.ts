// The cleanup function's settings contract: the one typed object (the stack config maps onto it in
// config/functionSettings.ts, the same way for infra and local mode), and its environment encoding and decoding
// side by side. Only this file names the environment variables.
import { envReader } from "../shared/envSettings";

export interface CleanupSettings {
    bucket: string;
    /** The CloudFront distribution whose cached copies of a removed or replaced image are invalidated. */
    distributionId: string;
    /** Variant sizes, so an original's variant keys are known without listing; empty (allowAnyResolution): the
     *  sizes present are listed as the bucket's "<W>x<H>/" prefixes. */
    allowedResolutions: string[];
}

const CLEANUP_ENV = {
    bucket: "BUCKET_NAME",
    distributionId: "DISTRIBUTION_ID",
    allowedResolutions: "ALLOWED_RESOLUTIONS",
} as const satisfies Record<keyof CleanupSettings, string>;

export function encodeCleanupSettings(settings: CleanupSettings): Record<string, string> {
    return {
        [CLEANUP_ENV.bucket]: settings.bucket,
        [CLEANUP_ENV.distributionId]: settings.distributionId,
        [CLEANUP_ENV.allowedResolutions]: settings.allowedResolutions.join(","),
    };
}

export function decodeCleanupSettings(env: Record<string, string | undefined>): CleanupSettings {
    const { required, list } = envReader(env);
    return {
        bucket: required(CLEANUP_ENV.bucket),
        distributionId: required(CLEANUP_ENV.distributionId),
        allowedResolutions: list(CLEANUP_ENV.allowedResolutions),
    };
}
