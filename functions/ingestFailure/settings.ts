// The ingest failure consumer's settings contract: the one typed object and the environment variable each field travels
// in, side by side (one envCodec table encodes and decodes). Only this file names its environment variables. The
// deployment decides them all (no config key).
import { envCodec, METRICS_NAMESPACE, optionalText, text } from "../shared/envSettings";

export interface IngestFailureSettings {
    bucket: string;
    /** Where the `failed` event is published (the upload events topic); local mode has none. */
    uploadEventsTopicArn?: string;
    /** The stack's CloudWatch namespace of the pipeline's metrics (functions/shared/pipelineMetrics.ts). */
    metricsNamespace: string;
}

/** The variable each setting travels in. */
const INGEST_FAILURE_ENV = envCodec<IngestFailureSettings>({
    bucket: text("BUCKET_NAME"),
    uploadEventsTopicArn: optionalText("UPLOAD_EVENTS_TOPIC_ARN"),
    metricsNamespace: text(METRICS_NAMESPACE),
});

export const encodeIngestFailureSettings = (settings: IngestFailureSettings) => INGEST_FAILURE_ENV.encode(settings);
export const decodeIngestFailureSettings = (env: Record<string, string | undefined>) => INGEST_FAILURE_ENV.decode(env);
