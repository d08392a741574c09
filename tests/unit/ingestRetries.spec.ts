// Ingest on its bad days, against the loopback S3: an ingest that fails on every attempt (an S3 fault, a sharp
// fault, the timeout) is retried as Lambda retries it, then its record reaches the failure consumer, which ends the
// upload `failed` and publishes it; the same event twice, and a retry after a partial success with cleanup run
// whenever S3 would run it, leave one original, every stored variant and a final status, and no invalidation; the
// eager variants stop where the time budget does.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
import { expect } from "chai";
import { randomUUID } from "crypto";
import sharp, { Sharp } from "sharp";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createIngestHandler } from "../../functions/ingest/ingest";
import { INGEST_INVOCATION } from "../../functions/ingest/retryPolicy";
import { IngestSettings } from "../../functions/ingest/settings";
import { FINISH_RESERVE_MS, InvocationContext } from "../../functions/ingest/timeBudget";
import { UploadEvent } from "../../functions/ingest/uploadEvents";
import { createIngestFailureHandler, failureOf } from "../../functions/ingestFailure/ingestFailure";
import { createCleanupHandler } from "../../functions/cleanup/cleanup";
import { InvocationRecord } from "../../functions/shared/asyncInvocation";
import { UploadKeys, uploadKeys } from "../../functions/shared/bucketLayout";
import { encodeEventKey, S3Event } from "../../functions/shared/s3Event";
import { putStatus, readStatus } from "../../functions/shared/statusStore";
import { statusWithoutImage, UploadStatus } from "../../functions/shared/uploadStatus";
import { localInvalidations } from "../../local/cdn/invalidations";
import { asyncInvoker, sqsDestination } from "../../local/asyncInvoke";
import { jpegBytes } from "../support/images";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";

type Send = (command: { constructor: { name: string }; input: Record<string, any> }) => Promise<unknown>;

describe("ingest's bad days: retries, the failure consumer, idempotency, the time budget", function () {
    this.timeout(60_000);
    let s3: TestS3;
    let logs: string[];
    let published: UploadEvent[];
    const EAGER = {
        resolutions: ["64x48", "32x24"],
        fit: "cover" as const,
        gravity: "centre" as const,
        quality: 80,
        formats: ["webp" as const],
    };
    const settings = (overrides: Partial<IngestSettings> = {}): IngestSettings => ({
        metricsNamespace: "image-pipeline/test",
        bucket: TEST_BUCKET,
        allowedContentTypes: ["image/jpeg", "image/png"],
        maxUploadBytes: 1_000_000,
        limitInputPixels: 50_000_000,
        allowedResolutions: ["64x48", "32x24"],
        eager: EAGER,
        ...overrides,
    });
    const publish = async (event: UploadEvent) => {
        published.push(event);
    };
    /** An S3 client whose calls go through `intercept` (which may fail, hang or act after them). */
    const clientWith = (intercept: (command: Parameters<Send>[0], send: Send) => Promise<unknown>) =>
        ({
            send: (command: Parameters<Send>[0]) => intercept(command, (c) => s3.s3.send(c as never)),
        }) as unknown as S3Client;
    const eventFor = (key: string, eventName = "ObjectCreated:Put"): S3Event => ({
        Records: [{ eventName, s3: { bucket: { name: TEST_BUCKET }, object: { key: encodeEventKey(key), size: 1 } } }],
    });
    const stage = async (bytes?: Buffer): Promise<UploadKeys> => {
        const keys = uploadKeys(randomUUID(), "jpg");
        await s3.s3.send(
            new PutObjectCommand({
                Bucket: TEST_BUCKET,
                Key: keys.stagingKey,
                Body: bytes ?? (await jpegBytes(160, 120)),
                ContentType: "image/jpeg",
            }),
        );
        return keys;
    };
    const statusOf = async (keys: UploadKeys): Promise<UploadStatus | undefined> =>
        (await readStatus(s3.s3, TEST_BUCKET, keys.statusKey))?.status;
    const exists = async (key: string) => (await s3.head(key)) !== undefined;
    const ingestHandler = (client: S3Client = s3.s3, overrides: Partial<IngestSettings> = {}) =>
        createIngestHandler({ s3: client, settings: settings(overrides), log: (line) => logs.push(line), publish });
    const consumer = () =>
        createIngestFailureHandler({
            s3: s3.s3,
            settings: { metricsNamespace: "image-pipeline/test", bucket: TEST_BUCKET },
            publish,
            log: (line) => logs.push(line),
        });
    /** Ingest as Lambda invokes it: INGEST_INVOCATION's attempts (no minutes between them), then the record to the
     *  failure queue's consumer. Answers how many attempts ran. */
    const invokeAsLambda = async (client: S3Client, keys: UploadKeys, timeoutSeconds = 5) => {
        let attempts = 0;
        const handler = ingestHandler(client);
        await asyncInvoker({
            policy: { ...INGEST_INVOCATION, timeoutSeconds },
            functionArn: "arn:aws:lambda:us-east-1:123456789012:function:ingest",
            handler: (event: S3Event, context) => {
                attempts++;
                return handler(event, context);
            },
            onFailure: sqsDestination(consumer()),
        })(eventFor(keys.stagingKey));
        return attempts;
    };

    before(async () => {
        s3 = await startTestS3();
    });
    after(() => s3.close());
    beforeEach(() => {
        logs = [];
        published = [];
    });

    describe("failing on every attempt ends the upload failed, and publishes it", () => {
        const expectFailed = async (keys: UploadKeys, code: string) => {
            const status = await statusOf(keys);
            expect(status?.status, JSON.stringify(status)).to.equal("failed");
            expect(status?.error?.code).to.equal(code);
            expect(status?.error?.message).to.match(/upload it again/);
            expect(status?.key).to.equal(keys.finalKey);
            expect(published.map((event) => event.attributes.status)).to.deep.equal(["failed"]);
            expect(JSON.parse(published[0].message)).to.deep.equal(status);
            expect(await exists(keys.finalKey), "nothing under uploads/").to.equal(false);
        };

        it("an S3 fault (the original cannot be written, every time): 3 attempts, then failed, processing_failed", async () => {
            const keys = await stage();
            const refusing = clientWith((command, send) =>
                command.input.Key === keys.finalKey
                    ? Promise.reject(
                          Object.assign(new Error("We encountered an internal error."), { name: "InternalError" }),
                      )
                    : send(command),
            );
            expect(await invokeAsLambda(refusing, keys)).to.equal(INGEST_INVOCATION.maximumRetryAttempts + 1);
            await expectFailed(keys, "processing_failed");
            const line = logs
                .map((l) => JSON.parse(l))
                .find((l) => l.service === "ingest-failure" && l.outcome === "failed");
            // What Lambda reports of the last attempt: the invocation's error (each record's is in ingest's log).
            expect(line).to.include({ message: "upload", outcome: "failed", attempts: 3 });
            expect(line.reason).to.contain("ingest failed for 1 of 1 records");
        });

        it("a sharp fault (libvips fails after the checks, e.g. out of memory): 3 attempts, then failed", async () => {
            const keys = await stage();
            const toBuffer = sharp.prototype.toBuffer;
            // The checks decode without resolveWithObject; the placeholder and the variants ask for it.
            sharp.prototype.toBuffer = function (this: Sharp, ...args: unknown[]) {
                if ((args[0] as { resolveWithObject?: boolean } | undefined)?.resolveWithObject)
                    return Promise.reject(new Error("VipsImage: out of memory")) as never;
                return toBuffer.apply(this, args as never) as never;
            } as typeof toBuffer;
            try {
                expect(await invokeAsLambda(s3.s3, keys)).to.equal(3);
            } finally {
                sharp.prototype.toBuffer = toBuffer;
            }
            const status = await statusOf(keys);
            expect([status?.status, status?.error?.code]).to.deep.equal(["failed", "processing_failed"]);
            expect(published.map((event) => event.attributes.status)).to.deep.equal(["failed"]);
        });

        it("the timeout (an S3 call that never answers): each attempt ends at the timeout, then failed, processing_timeout", async () => {
            const keys = await stage();
            const hanging = clientWith((command, send) =>
                command.input.Key === keys.finalKey ? new Promise(() => undefined) : send(command),
            );
            expect(await invokeAsLambda(hanging, keys, 0.3)).to.equal(3);
            await expectFailed(keys, "processing_timeout");
        });

        it("the consumer never turns a final status into failed: it publishes the final one again (its publish may be what failed)", async () => {
            const keys = await stage();
            await ingestHandler()(eventFor(keys.stagingKey));
            expect((await statusOf(keys))?.status).to.equal("ready");
            published = [];
            const record: InvocationRecord = {
                version: "1.0",
                timestamp: new Date().toISOString(),
                requestContext: {
                    requestId: "r",
                    functionArn: "f",
                    condition: "RetriesExhausted",
                    approximateInvokeCount: 3,
                },
                requestPayload: eventFor(keys.stagingKey),
                responsePayload: { errorType: "Error", errorMessage: "SNS refused" },
            };
            const answer = await consumer()({ Records: [{ messageId: "m", body: JSON.stringify(record) }] });
            expect(answer.batchItemFailures).to.deep.equal([]);
            expect((await statusOf(keys))?.status).to.equal("ready");
            expect(published.map((event) => event.attributes.status)).to.deep.equal(["ready"]);
        });

        it("the consumer reports a message it cannot read as a batch item failure (SQS redelivers it, then dead-letters it), and handles the rest", async () => {
            const keys = uploadKeys(randomUUID(), "png");
            await putStatus(s3.s3, TEST_BUCKET, keys.statusKey, statusWithoutImage("pending", keys.finalKey));
            const good: InvocationRecord = {
                version: "1.0",
                timestamp: new Date().toISOString(),
                requestContext: {
                    requestId: "r",
                    functionArn: "f",
                    condition: "EventAgeExceeded",
                    approximateInvokeCount: 0,
                },
                requestPayload: eventFor(keys.stagingKey),
            };
            const answer = await consumer()({
                Records: [
                    { messageId: "garbled", body: "{not json" },
                    { messageId: "other", body: JSON.stringify({ hello: "world" }) },
                    { messageId: "good", body: JSON.stringify(good) },
                ],
            });
            expect(answer.batchItemFailures).to.deep.equal([
                { itemIdentifier: "garbled" },
                { itemIdentifier: "other" },
            ]);
            expect((await statusOf(keys))?.error?.code).to.equal("processing_expired");
        });

        it("the code says why: an expired event, a timed-out last attempt, any other error", () => {
            const record = (
                condition: "RetriesExhausted" | "EventAgeExceeded",
                errorMessage?: string,
            ): InvocationRecord => ({
                version: "1.0",
                timestamp: "t",
                requestContext: { requestId: "r", functionArn: "f", condition, approximateInvokeCount: 3 },
                requestPayload: {},
                responsePayload: errorMessage === undefined ? undefined : { errorMessage },
            });
            expect(failureOf(record("EventAgeExceeded")).code).to.equal("processing_expired");
            expect(failureOf(record("RetriesExhausted", "Task timed out after 60.00 seconds")).code).to.equal(
                "processing_timeout",
            );
            expect(failureOf(record("RetriesExhausted", "AccessDenied")).code).to.equal("processing_failed");
        });
    });

    describe("idempotent: S3 delivers at least once, Lambda retries after a partial success", () => {
        /**
         * Ingest's S3 client, with cleanup run the moment S3 would announce an original written (the worst moment:
         * before ingest writes anything else) and every status written recorded.
         */
        const interleaved = (keys: UploadKeys, fault?: (command: Parameters<Send>[0]) => Error | undefined) => {
            const cloudfront = localInvalidations();
            const cleanup = createCleanupHandler({
                s3: s3.s3,
                cloudfront: cloudfront.client,
                settings: {
                    metricsNamespace: "image-pipeline/test",
                    bucket: TEST_BUCKET,
                    distributionId: "E1",
                    allowedResolutions: EAGER.resolutions,
                },
                log: (line) => logs.push(line),
            });
            const statusWrites: string[] = [];
            let originalWrites = 0;
            const client = clientWith(async (command, send) => {
                const error = fault?.(command);
                if (error) throw error;
                const answer = await send(command);
                if (command.constructor.name === "PutObjectCommand" && command.input.Key === keys.statusKey)
                    statusWrites.push(JSON.parse(command.input.Body).status);
                if (command.constructor.name === "PutObjectCommand" && command.input.Key === keys.finalKey) {
                    originalWrites++;
                    await cleanup(eventFor(keys.finalKey));
                }
                return answer;
            });
            return { client, cloudfront, statusWrites, originalWrites: () => originalWrites };
        };
        /** Every key this upload has: as if written `seconds` earlier (Lambda retries a minute later; S3's
         *  LastModified counts whole seconds). */
        const age = async (keys: UploadKeys, status: UploadStatus | undefined, seconds: number) => {
            for (const key of [keys.finalKey, keys.statusKey, ...(status?.storedVariants ?? [])])
                if (await exists(key)) s3.ageObject(key, seconds);
        };
        const expectWhole = async (keys: UploadKeys, run: ReturnType<typeof interleaved>) => {
            const status = (await statusOf(keys))!;
            expect(status.status).to.equal("ready");
            expect(status.storedVariants).to.have.length(4);
            for (const key of status.storedVariants!) expect(await exists(key), key).to.equal(true);
            expect(run.originalWrites(), "one original").to.equal(1);
            expect(run.cloudfront.made(), "no invalidation").to.deep.equal([]);
            expect(
                run.statusWrites.slice(run.statusWrites.indexOf("ready")),
                "never pending after ready",
            ).to.not.include("pending");
            expect(await exists(keys.stagingKey), "staged object deleted").to.equal(false);
        };

        it("the same event twice: the second finds the upload done and changes nothing", async () => {
            const keys = await stage();
            const run = interleaved(keys);
            const handler = ingestHandler(run.client);
            await handler(eventFor(keys.stagingKey));
            await age(keys, await statusOf(keys), 120);
            await handler(eventFor(keys.stagingKey));
            await expectWhole(keys, run);
            expect(published.map((event) => event.attributes.status)).to.deep.equal(["ready"]);
        });

        it("a retry after the ready status was written but its publish failed: publishes it again, rewrites nothing", async () => {
            const keys = await stage();
            const run = interleaved(keys);
            let refusals = 1;
            const flaky = async (event: UploadEvent) => {
                if (refusals-- > 0) throw Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
                published.push(event);
            };
            const handler = createIngestHandler({
                s3: run.client,
                settings: settings(),
                publish: flaky,
                log: (line) => logs.push(line),
            });
            let failure: unknown;
            await handler(eventFor(keys.stagingKey)).catch((error) => {
                failure = error;
            });
            expect(String(failure)).to.contain("ingest failed");
            await age(keys, await statusOf(keys), 120);
            await handler(eventFor(keys.stagingKey));
            await expectWhole(keys, run);
            expect(run.statusWrites).to.deep.equal(["pending", "ready"]);
            expect(published.map((event) => event.attributes.status)).to.deep.equal(["ready"]);
        });

        it("a retry after the original and the variants were stored but the ready status was not: no second original, so cleanup deletes and invalidates nothing", async () => {
            const keys = await stage();
            let refusals = 1;
            const run = interleaved(keys, (command) =>
                command.input.Key === keys.statusKey && String(command.input.Body).includes('"ready"') && refusals-- > 0
                    ? Object.assign(new Error("We encountered an internal error."), { name: "InternalError" })
                    : undefined,
            );
            const handler = ingestHandler(run.client);
            await handler(eventFor(keys.stagingKey)).catch(() => undefined);
            expect((await statusOf(keys))?.status).to.equal("pending");
            await age(keys, { storedVariants: EAGER_KEYS(keys) } as UploadStatus, 120);
            await handler(eventFor(keys.stagingKey));
            await expectWhole(keys, run);
            expect(run.statusWrites).to.deep.equal(["pending", "ready"]);
        });
    });

    describe("the time budget (functions/ingest/timeBudget.ts)", () => {
        it("makes eager variants only while the invocation has time for one more; the rest are left to the first request and storedVariants lists what was stored", async () => {
            const keys = await stage();
            let remaining = 60_000;
            const context: InvocationContext = { getRemainingTimeInMillis: () => remaining };
            const client = clientWith(async (command, send) => {
                const answer = await send(command);
                // After the first variant, no time is left beyond the reserve for what follows it.
                if (String(command.input.Key).startsWith("64x48/")) remaining = FINISH_RESERVE_MS;
                return answer;
            });
            await ingestHandler(client)(eventFor(keys.stagingKey), context);
            const status = (await statusOf(keys))!;
            expect(status.status).to.equal("ready");
            expect(status.storedVariants).to.deep.equal([`64x48/${keys.finalKey}`]);
            for (const key of EAGER_KEYS(keys).slice(1)) expect(await exists(key), key).to.equal(false);
            const deferred = logs.map((l) => JSON.parse(l)).find((l) => l.outcome === "eager_variants_deferred");
            expect(deferred).to.include({ level: "WARN", count: 3 });
        });

        it("with no time beyond the reserve, no eager variant: still ready", async () => {
            const keys = await stage();
            await ingestHandler()(eventFor(keys.stagingKey), { getRemainingTimeInMillis: () => FINISH_RESERVE_MS });
            const status = (await statusOf(keys))!;
            expect([status.status, status.storedVariants]).to.deep.equal(["ready", []]);
        });
    });
});

/** The eager variant keys EAGER makes, in the order ingest makes them. */
function EAGER_KEYS(keys: UploadKeys): string[] {
    return ["64x48", "32x24"].flatMap((size) => [`${size}/${keys.finalKey}`, `${size}/webp/${keys.finalKey}`]);
}
