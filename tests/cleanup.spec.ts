// The cleanup function (functions/cleanup/) against the loopback S3, with a CloudFront client that keeps
// invalidations as CloudFront does: a removed original takes its variants and status with it, an overwritten one
// its stale variants, and ONE invalidation names exactly the paths that existed.
import { expect } from "chai";
import { randomUUID } from "crypto";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { callerReferenceOf, createCleanupHandler, InvalidationClient } from "../functions/cleanup/cleanup";
import { CleanupSettings } from "../functions/cleanup/settings";
import { uploadKeys } from "../functions/shared/bucketLayout";
import { encodeEventKey, S3Event } from "../functions/shared/s3Event";
import { startTestS3, TEST_BUCKET, TestS3 } from "./support/localS3";
import { localInvalidations, RecordedInvalidation } from "../local/cdn/invalidations";

/** The local CDN's invalidations (CloudFront's CallerReference rules), counting calls and failing one on demand. */
class RecordingCloudFront implements InvalidationClient {
    private readonly local = localInvalidations();
    calls = 0;
    failNext?: Error;

    get made(): RecordedInvalidation[] {
        return this.local.made();
    }

    async send(command: CreateInvalidationCommand): Promise<unknown> {
        this.calls++;
        const failure = this.failNext;
        this.failNext = undefined;
        if (failure) throw failure;
        return this.local.client.send(command);
    }
}

describe("cleanup function (functions/cleanup/) against the loopback S3", () => {
    let s3: TestS3;
    let cloudfront: RecordingCloudFront;
    let logs: string[];
    const settings = (overrides: Partial<CleanupSettings> = {}): CleanupSettings => ({
        bucket: TEST_BUCKET,
        distributionId: "EDISTRIBUTION",
        allowedResolutions: ["300x300", "640x480", "1280x720"],
        ...overrides,
    });
    const cleanup = (overrides: Partial<CleanupSettings> = {}, client: S3Client = s3.s3) =>
        createCleanupHandler({ s3: client, cloudfront, settings: settings(overrides), log: (line) => logs.push(line) });
    let sequence = 0;
    /** An S3 event for one key as AWS sends it (key URL-encoded; a removal carries no size or eTag). */
    const eventFor = (key: string, eventName: string, bucket = TEST_BUCKET): S3Event => ({
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
    const put = (key: string, body = key) =>
        s3.s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key, Body: body }));
    const exists = async (key: string) => (await s3.head(key)) !== undefined;
    const age = (key: string, seconds: number) => s3.ageObject(key, seconds);
    /** One upload's keys: its original, its status, a variant for each size given. */
    const image = (sizes: string[]) => {
        const keys = uploadKeys(randomUUID(), "jpg");
        return { ...keys, variants: sizes.map((size) => `${size}/${keys.finalKey}`) };
    };

    before(async () => {
        s3 = await startTestS3();
    });
    after(() => s3.close());
    beforeEach(() => {
        cloudfront = new RecordingCloudFront();
        logs = [];
    });

    describe("an original removed (ObjectRemoved:*)", () => {
        it("removal deletes variants and status and lists the exact invalidation paths (only sizes that existed)", async () => {
            const gone = image(["300x300", "640x480"]); // no 1280x720 variant was ever made
            const other = image(["300x300"]);
            for (const key of [...gone.variants, gone.statusKey, other.finalKey, ...other.variants, other.statusKey])
                await put(key);
            await put(`${gone.variants[0]}.bak`); // shares the prefix of a variant key, is not one

            await cleanup()(eventFor(gone.finalKey, "ObjectRemoved:Delete"));

            for (const key of [...gone.variants, gone.statusKey]) expect(await exists(key), key).to.equal(false);
            for (const key of [other.finalKey, ...other.variants, other.statusKey, `${gone.variants[0]}.bak`])
                expect(await exists(key), key).to.equal(true);
            expect(cloudfront.made).to.have.length(1);
            expect(cloudfront.made[0].distributionId).to.equal("EDISTRIBUTION");
            expect(cloudfront.made[0].paths).to.have.members([
                `/${gone.finalKey}`,
                `/300x300/${gone.finalKey}`,
                `/640x480/${gone.finalKey}`,
            ]);
            expect(cloudfront.made[0].paths).to.have.length(3);
            expect(cloudfront.made[0].paths.every((p) => p.startsWith("/") && !p.includes("*"))).to.equal(true);
        });

        it("removal takes every format of a variant (<W>x<H>/avif|webp/…) and invalidates each with the URI viewers ask for (AWS: invalidate both URIs of a rewritten request)", async () => {
            const gone = image([]);
            const formatVariants = [`300x300/avif/${gone.finalKey}`, `640x480/webp/${gone.finalKey}`];
            for (const key of [...formatVariants, gone.statusKey]) await put(key);

            await cleanup()(eventFor(gone.finalKey, "ObjectRemoved:Delete"));

            for (const key of formatVariants) expect(await exists(key), key).to.equal(false);
            expect(cloudfront.made).to.have.length(1);
            expect(cloudfront.made[0].paths).to.have.members([
                `/${gone.finalKey}`,
                `/300x300/avif/${gone.finalKey}`,
                `/300x300/${gone.finalKey}`, // the URI the edge function rewrote to the AVIF one
                `/640x480/webp/${gone.finalKey}`,
                `/640x480/${gone.finalKey}`,
            ]);
            expect(cloudfront.made[0].paths).to.have.length(5);
        });

        it("a delete marker (ObjectRemoved:DeleteMarkerCreated) is a removal too", async () => {
            const gone = image(["640x480"]);
            for (const key of [...gone.variants, gone.statusKey]) await put(key);
            await cleanup()(eventFor(gone.finalKey, "ObjectRemoved:DeleteMarkerCreated"));
            expect(await exists(gone.variants[0])).to.equal(false);
            expect(cloudfront.made.map((made) => made.paths.length)).to.deep.equal([2]);
        });

        it("invalidates nothing when nothing of the image existed (no variant, no status): no path billed", async () => {
            const never = image([]);
            await cleanup()(eventFor(never.finalKey, "ObjectRemoved:Delete"));
            expect(cloudfront.calls).to.equal(0);
        });

        it("with a status but no variant, invalidates the original's path alone and deletes the status", async () => {
            const plain = image([]);
            await put(plain.statusKey);
            await cleanup()(eventFor(plain.finalKey, "ObjectRemoved:Delete"));
            expect(await exists(plain.statusKey)).to.equal(false);
            expect(cloudfront.made.map((made) => made.paths)).to.deep.equal([[`/${plain.finalKey}`]]);
        });

        it("a second delivery of the same event makes no second invalidation", async () => {
            const gone = image(["300x300"]);
            for (const key of [...gone.variants, gone.statusKey]) await put(key);
            const event = eventFor(gone.finalKey, "ObjectRemoved:Delete");
            await cleanup()(event);
            await cleanup()(event);
            expect(cloudfront.made).to.have.length(1);
        });

        it("a retry after a failed deletion reuses the event's CallerReference: one invalidation, everything deleted", async () => {
            const gone = image(["300x300", "640x480"]);
            for (const key of [...gone.variants, gone.statusKey]) await put(key);
            const event = eventFor(gone.finalKey, "ObjectRemoved:Delete");
            let failStatusDelete = true;
            const flaky = {
                send: (command: { constructor: { name: string } }) => {
                    if (command.constructor.name === "DeleteObjectCommand" && failStatusDelete) {
                        failStatusDelete = false;
                        return Promise.reject(
                            Object.assign(new Error("We encountered an internal error."), { name: "InternalError" }),
                        );
                    }
                    return s3.s3.send(command as never);
                },
            } as unknown as S3Client;

            let failure: Error | undefined;
            await cleanup(
                {},
                flaky,
            )(event).catch((error: Error) => {
                failure = error;
            });
            expect(failure?.message, "the invocation fails, so Lambda retries it").to.equal(
                "cleanup failed for 1 of 1 records",
            );
            expect(await exists(gone.variants[0]), "variants went before the status").to.equal(false);
            expect(await exists(gone.statusKey)).to.equal(true);

            await cleanup({}, flaky)(event); // the retry: fewer paths under the same reference → already done
            expect(await exists(gone.statusKey)).to.equal(false);
            expect(cloudfront.made).to.have.length(1);
            expect(cloudfront.made[0].callerReference).to.equal(callerReferenceOf(event.Records![0]));
            expect(logs.some((line) => JSON.parse(line).outcome === "already_invalidated")).to.equal(true);
        });

        it("a failed invalidation fails the invocation and deletes nothing (the retry still knows every path)", async () => {
            const gone = image(["300x300"]);
            for (const key of [...gone.variants, gone.statusKey]) await put(key);
            cloudfront.failNext = Object.assign(new Error("Rate exceeded"), { name: "TooManyInvalidationsInProgress" });
            const event = eventFor(gone.finalKey, "ObjectRemoved:Delete");
            let failed = false;
            await cleanup()(event).catch(() => {
                failed = true;
            });
            expect(failed).to.equal(true);
            expect(await exists(gone.variants[0])).to.equal(true);
            expect(await exists(gone.statusKey)).to.equal(true);
            await cleanup()(event);
            expect(cloudfront.made.map((made) => made.paths.length)).to.deep.equal([2]);
            expect(await exists(gone.variants[0])).to.equal(false);
        });

        it("an original written again before its removal event arrives keeps its status and fresh variants", async () => {
            const back = image(["300x300"]);
            for (const key of [back.finalKey, ...back.variants, back.statusKey]) await put(key);
            await cleanup()(eventFor(back.finalKey, "ObjectRemoved:Delete"));
            for (const key of [back.finalKey, ...back.variants, back.statusKey])
                expect(await exists(key), key).to.equal(true);
            expect(cloudfront.calls).to.equal(0);
        });
    });

    describe("an original written (ObjectCreated:*)", () => {
        it("ingest's first write (variants none, or eager ones written after it) deletes and invalidates nothing", async () => {
            const fresh = image(["300x300"]);
            await put(fresh.finalKey);
            await cleanup()(eventFor(fresh.finalKey, "ObjectCreated:Put"));
            await put(fresh.variants[0]); // an eager variant, made right after the original
            await cleanup()(eventFor(fresh.finalKey, "ObjectCreated:Put"));
            expect(await exists(fresh.variants[0])).to.equal(true);
            expect(cloudfront.calls).to.equal(0);
        });

        it("an overwrite deletes only the variants older than the new original and invalidates them and the original", async () => {
            const replaced = image(["300x300", "640x480", "1280x720"]);
            for (const key of [replaced.statusKey, ...replaced.variants.slice(0, 2)]) await put(key);
            age(replaced.variants[0], 120);
            age(replaced.variants[1], 60);
            await put(replaced.finalKey); // the overwrite
            await put(replaced.variants[2]); // made from the new image
            age(replaced.variants[2], -5);

            await cleanup()(eventFor(replaced.finalKey, "ObjectCreated:Put"));

            expect(await exists(replaced.variants[0])).to.equal(false);
            expect(await exists(replaced.variants[1])).to.equal(false);
            expect(await exists(replaced.variants[2]), "a variant of the new image stays").to.equal(true);
            expect(await exists(replaced.statusKey), "an overwrite keeps the status").to.equal(true);
            expect(cloudfront.made).to.have.length(1);
            expect(cloudfront.made[0].paths).to.have.members([
                `/${replaced.finalKey}`,
                `/300x300/${replaced.finalKey}`,
                `/640x480/${replaced.finalKey}`,
            ]);
            expect(cloudfront.made[0].paths).to.have.length(3);
        });

        it("an ObjectCreated for an original removed since does nothing (its removal event cleans up)", async () => {
            const gone = image(["300x300"]);
            await put(gone.variants[0]);
            age(gone.variants[0], 60);
            await cleanup()(eventFor(gone.finalKey, "ObjectCreated:Copy"));
            expect(await exists(gone.variants[0])).to.equal(true);
            expect(cloudfront.calls).to.equal(0);
        });
    });

    it("with any size allowed, finds the variants under every <W>x<H>/ prefix the bucket has", async () => {
        const gone = image(["123x45", "300x300"]);
        for (const key of [...gone.variants, gone.statusKey, `0300x300/${gone.finalKey}`, `abc/${gone.finalKey}`])
            await put(key);
        await cleanup({ allowedResolutions: [] })(eventFor(gone.finalKey, "ObjectRemoved:Delete"));
        for (const key of gone.variants) expect(await exists(key), key).to.equal(false);
        expect(await exists(`0300x300/${gone.finalKey}`), "not a size").to.equal(true);
        expect(await exists(`abc/${gone.finalKey}`)).to.equal(true);
        expect(cloudfront.made[0].paths).to.have.members([
            `/${gone.finalKey}`,
            `/123x45/${gone.finalKey}`,
            `/300x300/${gone.finalKey}`,
        ]);
    });

    it("ignores other buckets, other events and keys that are not an original uploads/<id>.<ext>", async () => {
        const target = image(["300x300"]);
        for (const key of [...target.variants, target.statusKey]) await put(key);
        const events = [
            eventFor(target.finalKey, "ObjectRemoved:Delete", "someone-elses-bucket"),
            eventFor(target.finalKey, "ObjectRestore:Completed"),
            eventFor(target.variants[0], "ObjectRemoved:Delete"),
            eventFor(target.statusKey, "ObjectRemoved:Delete"),
            eventFor(target.stagingKey, "ObjectRemoved:Delete"),
            eventFor(`uploads/../${target.finalKey}`, "ObjectRemoved:Delete"),
            eventFor("uploads/cat.jpg", "ObjectRemoved:Delete"),
        ];
        const badEncoding = eventFor(target.finalKey, "ObjectRemoved:Delete");
        badEncoding.Records![0].s3.object.key = "uploads/%E0%A4%A";
        for (const event of [...events, badEncoding]) await cleanup()(event);
        for (const key of [...target.variants, target.statusKey]) expect(await exists(key), key).to.equal(true);
        expect(cloudfront.calls).to.equal(0);
        expect(logs.filter((line) => JSON.parse(line).outcome === "ignored")).to.have.length(events.length + 1);
    });

    it("an S3 failure fails the invocation (Lambda retries) and invalidates nothing", async () => {
        const target = image(["300x300"]);
        for (const key of [...target.variants, target.statusKey]) await put(key);
        const broken = {
            send: () => Promise.reject(Object.assign(new Error("Service Unavailable"), { name: "ServiceUnavailable" })),
        } as unknown as S3Client;
        let message: string | undefined;
        await cleanup(
            {},
            broken,
        )(eventFor(target.finalKey, "ObjectRemoved:Delete")).catch((error: Error) => {
            message = error.message;
        });
        expect(message).to.equal("cleanup failed for 1 of 1 records");
        expect(cloudfront.calls).to.equal(0);
        expect(await exists(target.variants[0])).to.equal(true);
        const body = await s3.s3.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: target.statusKey }));
        expect(await body.Body!.transformToString()).to.equal(target.statusKey);
    });
});
