// The cleanup function's settings contract: the one typed object (the stack config maps onto it in
// config/functionSettings.ts, the same way for infra and local mode), and the environment variable each field travels
// in, side by side (one envCodec table encodes and decodes). Only this file names the environment variables.
import { envCodec, list, METRICS_NAMESPACE, text } from "../shared/envSettings";

export interface CleanupSettings {
    bucket: string;
    /** The CloudFront distribution whose cached copies of a removed or replaced image are invalidated. */
    distributionId: string;
    /** Variant sizes, so an original's variant keys are known without listing; empty (allowAnyResolution): the
     *  sizes present are listed as the bucket's "<W>x<H>/" prefixes. */
    allowedResolutions: string[];
    /** The stack's CloudWatch namespace of the pipeline's metrics (functions/shared/pipelineMetrics.ts). */
    metricsNamespace: string;
}

/** The variable each setting travels in. */
const CLEANUP_ENV = envCodec<CleanupSettings>({
    bucket: text("BUCKET_NAME"),
    distributionId: text("DISTRIBUTION_ID"),
    allowedResolutions: list("ALLOWED_RESOLUTIONS"),
    metricsNamespace: text(METRICS_NAMESPACE),
});

export const encodeCleanupSettings = (settings: CleanupSettings) => CLEANUP_ENV.encode(settings);
export const decodeCleanupSettings = (env: Record<string, string | undefined>) => CLEANUP_ENV.decode(env);
