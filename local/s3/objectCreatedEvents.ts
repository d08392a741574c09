// S3 event notifications in local mode: after a successful PUT, POST, copy or CompleteMultipartUpload of a key
// under the configured prefix, the local S3 sends the ObjectCreated event (AWS's JSON shape, key URL-encoded)
// to the configured function, as a bucket notification invokes a Lambda: asynchronously, after the answer.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { encodeEventKey, S3Event } from "../../functions/shared/s3Event";

export interface ObjectCreatedNotification {
    /** Only keys under this prefix are announced (the bucket notification's filterPrefix). */
    prefix: string;
    /** The function invoked; its failure is logged, never thrown. */
    deliver: (event: S3Event) => Promise<void>;
    log?: (line: string) => void;
}

export type ObjectCreatedEventName = "Put" | "Post" | "Copy" | "CompleteMultipartUpload";

let sequence = 0;

/** Builds and delivers the event for one created object; returns at once, the delivery is observed. */
export function announceObjectCreated(
    backend: S3Client,
    notification: ObjectCreatedNotification,
    created: { bucket: string; key: string; eventName: ObjectCreatedEventName; region: string },
): void {
    if (!created.key.startsWith(notification.prefix)) return;
    const log = notification.log ?? ((line: string) => console.error(line));
    void (async () => {
        const head = await backend.send(new HeadObjectCommand({ Bucket: created.bucket, Key: created.key }));
        const event: S3Event = {
            Records: [
                {
                    eventVersion: "2.1",
                    eventSource: "aws:s3",
                    awsRegion: created.region,
                    eventTime: new Date().toISOString(),
                    eventName: `ObjectCreated:${created.eventName}`,
                    s3: {
                        s3SchemaVersion: "1.0",
                        bucket: { name: created.bucket, arn: `arn:aws:s3:::${created.bucket}` },
                        object: {
                            key: encodeEventKey(created.key),
                            size: head.ContentLength ?? 0,
                            eTag: (head.ETag ?? "").replace(/"/g, ""),
                            sequencer: (++sequence).toString(16).toUpperCase().padStart(16, "0"),
                        },
                    },
                },
            ],
        };
        await notification.deliver(event);
    })().catch((error: unknown) =>
        log(
            JSON.stringify({
                level: "error",
                message: "object-created notification failed",
                key: created.key.slice(0, 200),
                error: String((error as Error)?.message ?? error).slice(0, 300),
            }),
        ),
    );
}
