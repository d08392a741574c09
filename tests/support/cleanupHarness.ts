// The cleanup function against the loopback S3, as the cleanup specs drive it, with a CloudFront client that keeps
// invalidations as CloudFront does (the local CDN's) and a clock whose sleeps only move it on. The bindings below are
// live (CommonJS exports read at each use): set by the hooks of the suite that calls useCleanupHarness().
import { randomUUID } from "crypto";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { createCleanupHandler, InvalidationClient } from "../../functions/cleanup/cleanup";
import { RetryClock } from "../../functions/cleanup/invalidate";
import { CleanupSettings } from "../../functions/cleanup/settings";
import { putVariantCommand } from "../../functions/resize/storeVariant";
import { uploadKeys } from "../../functions/shared/bucketLayout";
import { originalMetadata } from "../../functions/shared/imageObjectMetadata";
import { digestOf } from "../../functions/shared/originalVersion";
import { encodeEventKey, S3Event } from "../../functions/shared/s3Event";
import { startTestS3, TEST_BUCKET, TestS3 } from "./localS3";
import { localInvalidations, RecordedInvalidation } from "../../local/cdn/invalidations";

/** The local CDN's invalidations (CloudFront's CallerReference rules), counting calls and failing on demand. */
export class RecordingCloudFront implements InvalidationClient {
    private readonly local = localInvalidations();
    calls = 0;
    /** Errors to answer, one per call, before the calls go through. */
    failures: Error[] = [];
    /** An error to answer on every call. */
    failAlways?: Error;

    get made(): RecordedInvalidation[] {
        return this.local.made();
    }

    async send(command: CreateInvalidationCommand): Promise<unknown> {
        this.calls++;
        const failure = this.failAlways ?? this.failures.shift();
        if (failure) throw failure;
        return this.local.client.send(command);
    }
}

/** A clock whose sleep only moves it on, recording each wait. */
export function fakeClock(): RetryClock & { slept: number[] } {
    let now = 0;
    const slept: number[] = [];
    return {
        slept,
        now: () => now,
        async sleep(ms) {
            slept.push(ms);
            now += ms;
        },
    };
}

export const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });

export let s3: TestS3;
export let cloudfront: RecordingCloudFront;
export let clock: ReturnType<typeof fakeClock>;
export let logs: string[];
export const settings = (overrides: Partial<CleanupSettings> = {}): CleanupSettings => ({
    bucket: TEST_BUCKET,
    distributionId: "EDISTRIBUTION",
    allowedResolutions: ["300x300", "640x480", "1280x720"],
    metricsNamespace: "image-pipeline/test",
    ...overrides,
});
export const cleanup = (overrides: Partial<CleanupSettings> = {}, client: S3Client = s3.s3) =>
    createCleanupHandler({
        s3: client,
        cloudfront,
        clock,
        settings: settings(overrides),
        log: (line) => logs.push(line),
    });
let sequence = 0;
/** An S3 event for one key as AWS sends it (key URL-encoded; a removal carries no size or eTag). */
export const eventFor = (key: string, eventName: string, bucket = TEST_BUCKET): S3Event => ({
    Records: [
        {
            eventVersion: "2.1",
            eventSource: "aws:s3",
            eventName,
            eventTime: new Date().toISOString(),
            s3: {
                bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
                object: { key: encodeEventKey(key), sequencer: (++sequence).toString(16).padStart(16, "0") },
            },
        },
    ],
});
/** An object written as no part of the pipeline writes it: no metadata (as before cache tags existed). */
export const put = (key: string, body = key) =>
    s3.s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key, Body: body }));
/** An original as ingest stores it (its cache tag and digest); answers its version. */
export const putOriginal = async (key: string, body = `image ${randomUUID()}`) => {
    const bytes = Buffer.from(body);
    await s3.s3.send(
        new PutObjectCommand({
            Bucket: TEST_BUCKET,
            Key: key,
            Body: bytes,
            Metadata: originalMetadata(key, bytes),
        }),
    );
    return digestOf(bytes);
};
/** A variant as the Resizer and ingest store it, made from `version` of its original. */
export const putVariant = (key: string, originalKey: string, version: string) =>
    s3.s3.send(
        putVariantCommand(
            TEST_BUCKET,
            key,
            { bytes: Buffer.from(key), contentType: "image/jpeg", width: 1, height: 1 },
            { originalKey, version },
        ),
    );
export const exists = async (key: string) => (await s3.head(key)) !== undefined;
export const age = (key: string, seconds: number) => s3.ageObject(key, seconds);
/** One upload's keys: its original, its status, a variant for each size given. */
export const image = (sizes: string[]) => {
    const keys = uploadKeys(randomUUID(), "jpg");
    return { ...keys, variants: sizes.map((size) => `${size}/${keys.finalKey}`) };
};
/** Runs the handler and answers its failure, if any. */
export const outcomeOf = (run: Promise<void>) =>
    run.then(
        () => undefined,
        (error: Error) => error,
    );

/** Starts the loopback S3 before the calling suite and stops it after; every test gets a fresh CloudFront,
 *  clock and log. */
export function useCleanupHarness(): void {
    before(async () => {
        s3 = await startTestS3();
    });
    after(() => s3.close());
    beforeEach(() => {
        cloudfront = new RecordingCloudFront();
        clock = fakeClock();
        logs = [];
    });
}
