// The ingest function against the loopback S3, as the ingest specs drive it: one S3 for the suite that calls
// useIngestHarness(), an upload staged and ingested per call with the settings it overrides, and the function's log
// lines. The bindings below are live (CommonJS exports read at each use): set by the suite's hooks.
import { randomUUID } from "crypto";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createIngestHandler } from "../../functions/ingest/ingest";
import { IngestSettings } from "../../functions/ingest/settings";
import { UploadEvent } from "../../functions/ingest/uploadEvents";
import { uploadKeys } from "../../functions/shared/bucketLayout";
import { encodeEventKey, S3Event } from "../../functions/shared/s3Event";
import { UploadStatus } from "../../functions/shared/uploadStatus";
import { startTestS3, TEST_BUCKET, TestS3 } from "./localS3";

export let s3: TestS3;
export let logs: string[];

/** Starts the loopback S3 before the calling suite and stops it after; every test starts with no log line. */
export function useIngestHarness(): void {
    before(async () => {
        s3 = await startTestS3();
    });
    after(() => s3.close());
    beforeEach(() => {
        logs = [];
    });
}

export const settings = (overrides: Partial<IngestSettings> = {}): IngestSettings => ({
    bucket: TEST_BUCKET,
    allowedContentTypes: ["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"],
    maxUploadBytes: 1_000_000,
    limitInputPixels: 50_000_000,
    metricsNamespace: "image-pipeline/test",
    allowedResolutions: ["300x300", "640x480"],
    ...overrides,
});
/** An S3 ObjectCreated event for one key, as AWS sends it (key URL-encoded, a space as "+"). */
export const eventFor = (key: string, size = 1, eventName = "ObjectCreated:Put"): S3Event => ({
    Records: [
        {
            eventName,
            s3: {
                bucket: { name: TEST_BUCKET },
                object: { key: encodeEventKey(key), size, eTag: "e" },
            },
        },
    ],
});
export const read = (key: string): Promise<Buffer | undefined> => s3.read(key);
export const statusOf = async (id: string): Promise<UploadStatus | undefined> => {
    const bytes = await read(uploadKeys(id, "x").statusKey);
    return bytes && JSON.parse(bytes.toString("utf8"));
};
/** Stages bytes as a presigned upload would (its signed Content-Type), runs ingest on the event, answers
 *  the upload's keys and status. */
export const ingest = async (
    bytes: Buffer,
    contentType: string,
    extension: string,
    overrides: Partial<IngestSettings> = {},
    dependencies: { client?: S3Client; publish?: (event: UploadEvent) => Promise<void> } = {},
) => {
    const keys = uploadKeys(randomUUID(), extension);
    await s3.s3.send(
        new PutObjectCommand({ Bucket: TEST_BUCKET, Key: keys.stagingKey, Body: bytes, ContentType: contentType }),
    );
    await createIngestHandler({
        s3: dependencies.client ?? s3.s3,
        settings: settings(overrides),
        log: (line) => logs.push(line),
        publish: dependencies.publish,
    })(eventFor(keys.stagingKey, bytes.length));
    return { keys, status: (await statusOf(keys.id))! };
};
