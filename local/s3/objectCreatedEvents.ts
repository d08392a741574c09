// S3 event notifications in local mode: after a successful PUT, POST, copy or CompleteMultipartUpload of a key
// under the configured prefix, the local S3 sends the ObjectCreated event (AWS's JSON shape, key URL-encoded)
// to the configured function, as a bucket notification invokes a Lambda: asynchronously, after the answer; after
// a successful DELETE or DeleteObjects, the ObjectRemoved:Delete event (no size, no eTag, as AWS sends it).
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

/** One entry of the bucket's notification configuration: which event types, under which prefix, to which function. */
export interface ObjectNotification extends ObjectCreatedNotification {
    events: ("ObjectCreated" | "ObjectRemoved")[];
}

export type ObjectCreatedEventName = "Put" | "Post" | "Copy" | "CompleteMultipartUpload";

let sequence = 0;

/** One record in AWS's shape; `object` holds size and eTag for ObjectCreated only. */
function eventOf(
    where: { bucket: string; key: string; region: string },
    eventName: string,
    object: { size?: number; eTag?: string },
): S3Event {
    return {
        Records: [
            {
                eventVersion: "2.1",
                eventSource: "aws:s3",
                awsRegion: where.region,
                eventTime: new Date().toISOString(),
                eventName,
                s3: {
                    s3SchemaVersion: "1.0",
                    bucket: { name: where.bucket, arn: `arn:aws:s3:::${where.bucket}` },
                    object: {
                        key: encodeEventKey(where.key),
                        ...object,
                        sequencer: (++sequence).toString(16).toUpperCase().padStart(16, "0"),
                    },
                },
            },
        ],
    };
}

/** Runs one delivery; its failure is logged. The promise never rejects. */
function observed(notification: ObjectCreatedNotification, key: string, deliver: () => Promise<void>): Promise<void> {
    const log = notification.log ?? ((line: string) => console.error(line));
    return deliver().catch((error: unknown) =>
        log(
            JSON.stringify({
                level: "error",
                message: "bucket notification failed",
                key: key.slice(0, 200),
                error: String((error as Error)?.message ?? error).slice(0, 300),
            }),
        ),
    );
}

/** Builds and delivers the event for one created object; returns at once with the delivery, which never rejects. */
export function announceObjectCreated(
    backend: S3Client,
    notification: ObjectCreatedNotification,
    created: { bucket: string; key: string; eventName: ObjectCreatedEventName; region: string },
): Promise<void> {
    if (!created.key.startsWith(notification.prefix)) return Promise.resolve();
    return observed(notification, created.key, async () => {
        const head = await backend.send(new HeadObjectCommand({ Bucket: created.bucket, Key: created.key }));
        await notification.deliver(
            eventOf(created, `ObjectCreated:${created.eventName}`, {
                size: head.ContentLength ?? 0,
                eTag: (head.ETag ?? "").replace(/"/g, ""),
            }),
        );
    });
}

/** Builds and delivers the ObjectRemoved:Delete event for one deleted key; the delivery never rejects. */
export function announceObjectRemoved(
    notification: ObjectCreatedNotification,
    removed: { bucket: string; key: string; region: string },
): Promise<void> {
    if (!removed.key.startsWith(notification.prefix)) return Promise.resolve();
    return observed(notification, removed.key, () =>
        notification.deliver(eventOf(removed, "ObjectRemoved:Delete", {})),
    );
}
