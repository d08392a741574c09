// The ingest failure consumer's settings contract: the one typed object and its environment encoding and decoding
// side by side. Only this file names its environment variables. The deployment decides them all (no config key).
import { envReader } from "../shared/envSettings";

export interface IngestFailureSettings {
    bucket: string;
    /** Where the `failed` event is published (the upload events topic); local mode has none. */
    uploadEventsTopicArn?: string;
}

const INGEST_FAILURE_ENV = {
    bucket: "BUCKET_NAME",
    uploadEventsTopicArn: "UPLOAD_EVENTS_TOPIC_ARN",
} as const satisfies Record<keyof IngestFailureSettings, string>;

export function encodeIngestFailureSettings(settings: IngestFailureSettings): Record<string, string> {
    return {
        [INGEST_FAILURE_ENV.bucket]: settings.bucket,
        ...(settings.uploadEventsTopicArn === undefined
            ? {}
            : { [INGEST_FAILURE_ENV.uploadEventsTopicArn]: settings.uploadEventsTopicArn }),
    };
}

export function decodeIngestFailureSettings(env: Record<string, string | undefined>): IngestFailureSettings {
    const bucket = envReader(env).required(INGEST_FAILURE_ENV.bucket);
    const uploadEventsTopicArn = env[INGEST_FAILURE_ENV.uploadEventsTopicArn] || undefined;
    return { bucket, ...(uploadEventsTopicArn === undefined ? {} : { uploadEventsTopicArn }) };
}
