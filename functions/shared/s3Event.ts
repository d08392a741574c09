// S3 event notifications (ObjectCreated:*), the part the ingest function reads and local mode's S3 sends, in
// AWS's shape: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
// ("The s3 key provides information about the bucket and object involved in the event. The object key name
// value is URL encoded. For example, "red flower.jpg" becomes "red+flower.jpg"").

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
