// S3 event notifications (ObjectCreated:*, ObjectRemoved:*), the part the ingest and cleanup functions read and local
// mode's S3 sends, in AWS's shape: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
// ("The s3 key provides information about the bucket and object involved in the event. The object key name
// value is URL encoded. For example, "red flower.jpg" becomes "red+flower.jpg"").
import type { Log } from "./structuredLog";

export interface S3EventRecord {
    eventVersion?: string;
    eventSource?: string;
    awsRegion?: string;
    eventTime?: string;
    eventName: string;
    s3: {
        s3SchemaVersion?: string;
        bucket: { name: string; arn?: string };
        object: { key: string; size?: number; eTag?: string; sequencer?: string };
    };
}

export interface S3Event {
    Records?: S3EventRecord[];
}

/** An object key as events carry it: form-URL-encoded (a space as "+"), "/" kept. */
export function encodeEventKey(key: string): string {
    return encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+");
}

/** An event's object key as stored; throws URIError on invalid percent-encoding. */
export function decodeEventKey(encoded: string): string {
    return decodeURIComponent(encoded.replace(/\+/g, " "));
}

/** The work one record asks for: what its log lines name (the key, the upload's id), and the work itself. */
export interface RecordWork {
    key: string;
    uploadId?: string;
    run: () => Promise<void>;
}

/**
 * An S3-event handler that takes each record in turn: one whose key is not valid URL encoding, or that `select`
 * does not take (another event, another bucket, a key not the pipeline's), is logged and skipped; one whose work
 * fails is logged, the others still run, and then the invocation fails, so Lambda retries it (asynchronous
 * invocation: twice). No rejection is ever left unobserved.
 */
export function eachRecord(
    name: string,
    log: Log,
    select: (record: S3EventRecord, key: string) => RecordWork | undefined,
): (event: S3Event) => Promise<void> {
    return async (event) => {
        const failures: unknown[] = [];
        for (const record of event.Records ?? []) {
            let key: string;
            try {
                key = decodeEventKey(record.s3.object.key);
            } catch {
                log({ outcome: "ignored", reason: "the event's key is not valid URL encoding" });
                continue;
            }
            const work = select(record, key);
            if (!work) {
                log({ outcome: "ignored", event: record.eventName.slice(0, 60), key: key.slice(0, 200) });
                continue;
            }
            const started = Date.now();
            try {
                await work.run();
            } catch (error) {
                // The record's one line when its work fails (Lambda retries the invocation): as an outcome line.
                log({
                    level: "error",
                    message: "record failed",
                    uploadId: work.uploadId,
                    key: work.key,
                    outcome: "error",
                    error: (error as Error).name,
                    reason: String((error as Error).message).slice(0, 300),
                    ms: Date.now() - started,
                });
                failures.push(error);
            }
        }
        if (failures.length > 0)
            throw new Error(`${name} failed for ${failures.length} of ${event.Records?.length} records`);
    };
}
