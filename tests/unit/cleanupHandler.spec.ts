// The cleanup function (functions/cleanup/) against the loopback S3, with a CloudFront client that keeps
// invalidations as CloudFront does: a removed original takes its variants and status with it, an overwritten one the
// variants made from another version; the objects go first, then ONE invalidation names the image's cache tag
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-by-tags.html), retried through
// throttling and a full queue within the invocation.
import { expect } from "chai";
import { randomUUID } from "crypto";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { createCleanupHandler, InvalidationClient } from "../../functions/cleanup/cleanup";
import { callerReferenceOf, INVALIDATION_RETRY_BUDGET_MS, RetryClock } from "../../functions/cleanup/invalidate";
import { CleanupSettings } from "../../functions/cleanup/settings";
import { putVariantCommand } from "../../functions/resize/storeVariant";
import { uploadKeys } from "../../functions/shared/bucketLayout";
import { CACHE_TAG_HEADER } from "../../functions/shared/cacheTag";
import { originalMetadata } from "../../functions/shared/imageObjectMetadata";
import { digestOf, originalVersionOf } from "../../functions/shared/originalVersion";
import { encodeEventKey, S3Event } from "../../functions/shared/s3Event";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";
import { localInvalidations, RecordedInvalidation } from "../../local/cdn/invalidations";

/** The local CDN's invalidations (CloudFront's CallerReference rules), counting calls and failing on demand. */
class RecordingCloudFront implements InvalidationClient {
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
function fakeClock(): RetryClock & { slept: number[] } {
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

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });

describe("cleanup function (functions/cleanup/) against the loopback S3", () => {
    let s3: TestS3;
    let cloudfront: RecordingCloudFront;
    let clock: ReturnType<typeof fakeClock>;
    let logs: string[];
    const settings = (overrides: Partial<CleanupSettings> = {}): CleanupSettings => ({
        bucket: TEST_BUCKET,
        distributionId: "EDISTRIBUTION",
        allowedResolutions: ["300x300", "640x480", "1280x720"],
        ...overrides,
    });
    const cleanup = (overrides: Partial<CleanupSettings> = {}, client: S3Client = s3.s3) =>
        createCleanupHandler({
            s3: client,
            cloudfront,
            clock,
            settings: settings(overrides),
            log: (line) => logs.push(line),
        });
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
    /** An object written as no part of the pipeline writes it: no metadata (as before cache tags existed). */
    const put = (key: string, body = key) =>
        s3.s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key, Body: body }));
    /** An original as ingest stores it (its cache tag and digest); answers its version. */
    const putOriginal = async (key: string, body = `image ${randomUUID()}`) => {
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
    const putVariant = (key: string, originalKey: string, version: string) =>
        s3.s3.send(
            putVariantCommand(
                TEST_BUCKET,
                key,
                { bytes: Buffer.from(key), contentType: "image/jpeg", width: 1, height: 1 },
                { originalKey, version },
            ),
        );
    const exists = async (key: string) => (await s3.head(key)) !== undefined;
    const age = (key: string, seconds: number) => s3.ageObject(key, seconds);
    /** One upload's keys: its original, its status, a variant for each size given. */
    const image = (sizes: string[]) => {
        const keys = uploadKeys(randomUUID(), "jpg");
        return { ...keys, variants: sizes.map((size) => `${size}/${keys.finalKey}`) };
    };
    /** Runs the handler and answers its failure, if any. */
    const outcomeOf = (run: Promise<void>) =>
        run.then(
            () => undefined,
            (error: Error) => error,
        );

    before(async () => {
        s3 = await startTestS3();
    });
    after(() => s3.close());
    beforeEach(() => {
        cloudfront = new RecordingCloudFront();
        clock = fakeClock();
        logs = [];
    });

    describe("an original removed (ObjectRemoved:*)", () => {
        it("a removal makes exactly one invalidation item per image, #<tag>, after deleting every variant (each size, each format) and the status", async () => {
            const gone = image(["300x300", "640x480"]); // no 1280x720 variant was ever made
            const other = image(["300x300"]);
            const variants = [...gone.variants, `300x300/avif/${gone.finalKey}`, `640x480/webp/${gone.finalKey}`];
            for (const key of variants) await putVariant(key, gone.finalKey, "sha256:old");
            for (const key of [gone.statusKey, other.finalKey, ...other.variants, other.statusKey]) await put(key);
            await put(`${gone.variants[0]}.bak`); // shares the prefix of a variant key, is not one

            await cleanup()(eventFor(gone.finalKey, "ObjectRemoved:Delete"));

            for (const key of [...variants, gone.statusKey]) expect(await exists(key), key).to.equal(false);
            for (const key of [other.finalKey, ...other.variants, other.statusKey, `${gone.variants[0]}.bak`])
                expect(await exists(key), key).to.equal(true);
            expect(cloudfront.made).to.have.length(1);
            expect(cloudfront.made[0].distributionId).to.equal("EDISTRIBUTION");
            expect(cloudfront.made[0].paths).to.deep.equal([`#${gone.finalKey}`]);
        });

        it("objects stored before cache tags (no tag metadata) are invalidated by path as well: each such variant, its plain viewer URI and the original", async () => {
            const old = image(["640x480"]);
            await put(old.variants[0]); // untagged
            await put(`300x300/avif/${old.finalKey}`); // untagged, reached through the plain URI the edge rewrites
            await putVariant(`1280x720/${old.finalKey}`, old.finalKey, "sha256:any"); // tagged: the tag reaches it
            await put(old.statusKey);

            await cleanup()(eventFor(old.finalKey, "ObjectRemoved:Delete"));

            expect(cloudfront.made).to.have.length(1);
            expect(cloudfront.made[0].paths).to.have.members([
                `#${old.finalKey}`,
                `/${old.finalKey}`,
                `/640x480/${old.finalKey}`,
                `/300x300/avif/${old.finalKey}`,
                `/300x300/${old.finalKey}`,
            ]);
            expect(cloudfront.made[0].paths).to.have.length(5);
        });

        it("a delete marker (ObjectRemoved:DeleteMarkerCreated) is a removal too", async () => {
            const gone = image(["640x480"]);
            await putVariant(gone.variants[0], gone.finalKey, "sha256:v1");
            await put(gone.statusKey);
            await cleanup()(eventFor(gone.finalKey, "ObjectRemoved:DeleteMarkerCreated"));
            expect(await exists(gone.variants[0])).to.equal(false);
            expect(cloudfront.made.map((made) => made.paths)).to.deep.equal([[`#${gone.finalKey}`]]);
        });

        it("still invalidates the tag when nothing is left (a retry after the deletes must reach the CDN too)", async () => {
            const nothing = image([]);
            await cleanup()(eventFor(nothing.finalKey, "ObjectRemoved:Delete"));
            expect(cloudfront.made.map((made) => made.paths)).to.deep.equal([[`#${nothing.finalKey}`]]);
        });

        it("a second delivery of the same event makes no second invalidation", async () => {
            const gone = image(["300x300"]);
            await putVariant(gone.variants[0], gone.finalKey, "sha256:v1");
            await put(gone.statusKey);
            const event = eventFor(gone.finalKey, "ObjectRemoved:Delete");
            await cleanup()(event);
            await cleanup()(event);
            expect(cloudfront.calls).to.equal(2);
            expect(cloudfront.made).to.have.length(1);
            expect(cloudfront.made[0].callerReference).to.equal(callerReferenceOf(event.Records![0]));
        });

        it("a CloudFront that always answers TooManyInvalidationsInProgress: no variant and no status left behind, and the invocation fails after retries within its budget (so the event goes on to Lambda's retries and its destination)", async () => {
            const gone = image(["300x300", "640x480"]);
            for (const key of gone.variants) await putVariant(key, gone.finalKey, "sha256:v1");
            await put(gone.statusKey);
            cloudfront.failAlways = awsError(
                "TooManyInvalidationsInProgress",
                "Your request contains too many invalidations.",
            );
            const event = eventFor(gone.finalKey, "ObjectRemoved:Delete");

            const failure = await outcomeOf(cleanup()(event));

            expect(failure?.message).to.equal("cleanup failed for 1 of 1 records");
            for (const key of [...gone.variants, gone.statusKey]) expect(await exists(key), key).to.equal(false);
            expect(cloudfront.calls, "retried, not given up at once").to.be.greaterThan(3);
            expect(clock.slept).to.have.length(cloudfront.calls - 1);
            expect(clock.slept.reduce((sum, ms) => sum + ms, 0)).to.be.at.most(INVALIDATION_RETRY_BUDGET_MS);
            for (let at = 1; at < 4; at++) expect(clock.slept[at], "backs off").to.be.at.least(clock.slept[at - 1]);
            expect(logs.filter((line) => JSON.parse(line).outcome === "invalidation_retry")).to.have.length(
                clock.slept.length,
            );

            // Lambda's retry, once the queue has room: the same one item, though nothing is left to delete.
            cloudfront.failAlways = undefined;
            await cleanup()(event);
            expect(cloudfront.made.map((made) => made.paths)).to.deep.equal([[`#${gone.finalKey}`]]);
        });

        it("throttling is waited out within the invocation: one invalidation, the invocation succeeds", async () => {
            const gone = image(["300x300"]);
            await putVariant(gone.variants[0], gone.finalKey, "sha256:v1");
            cloudfront.failures = [awsError("Throttling", "Rate exceeded"), awsError("Throttling", "Rate exceeded")];
            await cleanup()(eventFor(gone.finalKey, "ObjectRemoved:Delete"));
            expect(cloudfront.calls).to.equal(3);
            expect(clock.slept).to.have.length(2);
            expect(cloudfront.made.map((made) => made.paths)).to.deep.equal([[`#${gone.finalKey}`]]);
        });

        it("any other CloudFront refusal is not retried: the invocation fails at once, the objects already gone", async () => {
            const gone = image(["300x300"]);
            await putVariant(gone.variants[0], gone.finalKey, "sha256:v1");
            cloudfront.failAlways = awsError("AccessDenied", "User is not authorized to perform CreateInvalidation");
            const failure = await outcomeOf(cleanup()(eventFor(gone.finalKey, "ObjectRemoved:Delete")));
            expect(failure?.message).to.equal("cleanup failed for 1 of 1 records");
            expect(cloudfront.calls).to.equal(1);
            expect(clock.slept).to.deep.equal([]);
            expect(await exists(gone.variants[0])).to.equal(false);
        });

        it("deletes before it invalidates: a failed deletion fails the invocation with no invalidation sent, and the retry does both", async () => {
            const gone = image(["300x300", "640x480"]);
            for (const key of gone.variants) await putVariant(key, gone.finalKey, "sha256:v1");
            await put(gone.statusKey);
            const event = eventFor(gone.finalKey, "ObjectRemoved:Delete");
            let failDelete = true;
            const flaky = {
                send: (command: { constructor: { name: string } }) => {
                    if (command.constructor.name === "DeleteObjectsCommand" && failDelete) {
                        failDelete = false;
                        return Promise.reject(awsError("InternalError", "We encountered an internal error."));
                    }
                    return s3.s3.send(command as never);
                },
            } as unknown as S3Client;

            const failure = await outcomeOf(cleanup({}, flaky)(event));
            expect(failure?.message, "the invocation fails, so Lambda retries it").to.equal(
                "cleanup failed for 1 of 1 records",
            );
            expect(cloudfront.calls).to.equal(0);
            expect(await exists(gone.statusKey)).to.equal(true);

            await cleanup({}, flaky)(event);
            for (const key of [...gone.variants, gone.statusKey]) expect(await exists(key), key).to.equal(false);
            expect(cloudfront.made.map((made) => made.paths)).to.deep.equal([[`#${gone.finalKey}`]]);
        });

        it("a variant deleted between its listing and its HEAD (another event of the same image) is passed over", async () => {
            const gone = image(["300x300", "640x480"]);
            for (const key of gone.variants) await putVariant(key, gone.finalKey, "sha256:v1");
            const racing = {
                send: async (command: { constructor: { name: string }; input: { Key?: string } }) => {
                    if (command.constructor.name === "HeadObjectCommand" && command.input.Key === gone.variants[0])
                        await s3.s3.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key: gone.variants[0] }));
                    return s3.s3.send(command as never);
                },
            } as unknown as S3Client;
            await cleanup({}, racing)(eventFor(gone.finalKey, "ObjectRemoved:Delete"));
            for (const key of gone.variants) expect(await exists(key), key).to.equal(false);
            expect(cloudfront.made.map((made) => made.paths)).to.deep.equal([[`#${gone.finalKey}`]]);
            expect(JSON.parse(logs.find((line) => JSON.parse(line).outcome === "removed")!).deleted).to.equal(1);
        });

        it("an original written again before its removal event arrives keeps its status and its variants", async () => {
            const back = image(["300x300"]);
            const version = await putOriginal(back.finalKey);
            await putVariant(back.variants[0], back.finalKey, version);
            await put(back.statusKey);
            await cleanup()(eventFor(back.finalKey, "ObjectRemoved:Delete"));
            for (const key of [back.finalKey, ...back.variants, back.statusKey])
                expect(await exists(key), key).to.equal(true);
            expect(cloudfront.calls).to.equal(0);
        });
    });

    describe("an original written (ObjectCreated:*)", () => {
        it("ingest's first write (no variant yet, or the eager ones made from it) deletes and invalidates nothing", async () => {
            const fresh = image(["300x300"]);
            const version = await putOriginal(fresh.finalKey);
            await cleanup()(eventFor(fresh.finalKey, "ObjectCreated:Put"));
            await putVariant(fresh.variants[0], fresh.finalKey, version); // an eager variant, made right after
            await cleanup()(eventFor(fresh.finalKey, "ObjectCreated:Put"));
            expect(await exists(fresh.variants[0])).to.equal(true);
            expect(cloudfront.calls).to.equal(0);
        });

        it("cleanup on an overwrite keeps the variants made from the current original (even when made in an earlier second), deletes the others", async () => {
            const replaced = image(["300x300", "640x480", "1280x720"]);
            const [ofCurrent, ofOld, madeLate] = replaced.variants;
            const formatOfCurrent = `300x300/webp/${replaced.finalKey}`;
            await put(replaced.statusKey);
            await putVariant(ofOld, replaced.finalKey, "sha256:an-older-version");
            age(ofOld, 120);
            const current = await putOriginal(replaced.finalKey);
            // The same bytes stored again (a retried ingest) is the same version: what its first write made stays,
            // though S3 last modified it seconds before the original.
            await putVariant(ofCurrent, replaced.finalKey, current);
            await putVariant(formatOfCurrent, replaced.finalKey, current);
            age(ofCurrent, 60);
            age(formatOfCurrent, 60);
            // Made from the old version by a resize that read it before the overwrite and stored after it.
            await putVariant(madeLate, replaced.finalKey, "sha256:an-older-version");
            age(madeLate, -5);

            await cleanup()(eventFor(replaced.finalKey, "ObjectCreated:Put"));

            expect(await exists(ofCurrent), "made from the current original").to.equal(true);
            expect(await exists(formatOfCurrent), "made from the current original").to.equal(true);
            expect(await exists(ofOld)).to.equal(false);
            expect(await exists(madeLate), "newer than the original, yet of the old version").to.equal(false);
            expect(await exists(replaced.statusKey), "an overwrite keeps the status").to.equal(true);
            expect(cloudfront.made.map((made) => made.paths)).to.deep.equal([[`#${replaced.finalKey}`]]);
        });

        it("an original written by another writer (no digest) is invalidated even when no variant is of another version", async () => {
            const outside = image(["300x300"]);
            await put(outside.finalKey, "replaced by hand");
            const stored = await s3.s3.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: outside.finalKey }));
            await stored.Body!.transformToString();
            await putVariant(outside.variants[0], outside.finalKey, originalVersionOf(stored)); // the Resizer's, of it
            await cleanup()(eventFor(outside.finalKey, "ObjectCreated:Put"));
            expect(await exists(outside.variants[0]), "made from it: kept").to.equal(true);
            expect(cloudfront.made.map((made) => made.paths)).to.deep.equal([[`#${outside.finalKey}`]]);
        });

        it("an ObjectCreated for an original removed since does nothing (its removal event cleans up)", async () => {
            const gone = image(["300x300"]);
            await putVariant(gone.variants[0], gone.finalKey, "sha256:v1");
            await cleanup()(eventFor(gone.finalKey, "ObjectCreated:Copy"));
            expect(await exists(gone.variants[0])).to.equal(true);
            expect(cloudfront.calls).to.equal(0);
        });
    });

    it("with any size allowed, finds the variants under every <W>x<H>/ prefix the bucket has", async () => {
        const gone = image(["123x45", "300x300"]);
        for (const key of gone.variants) await putVariant(key, gone.finalKey, "sha256:v1");
        for (const key of [gone.statusKey, `0300x300/${gone.finalKey}`, `abc/${gone.finalKey}`]) await put(key);
        await cleanup({ allowedResolutions: [] })(eventFor(gone.finalKey, "ObjectRemoved:Delete"));
        for (const key of gone.variants) expect(await exists(key), key).to.equal(false);
        expect(await exists(`0300x300/${gone.finalKey}`), "not a size").to.equal(true);
        expect(await exists(`abc/${gone.finalKey}`)).to.equal(true);
        expect(cloudfront.made.map((made) => made.paths)).to.deep.equal([[`#${gone.finalKey}`]]);
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

    it("an S3 failure fails the invocation (Lambda retries), deletes and invalidates nothing", async () => {
        const target = image(["300x300"]);
        for (const key of [...target.variants, target.statusKey]) await put(key);
        const broken = {
            send: () => Promise.reject(awsError("ServiceUnavailable", "Service Unavailable")),
        } as unknown as S3Client;
        const failure = await outcomeOf(cleanup({}, broken)(eventFor(target.finalKey, "ObjectRemoved:Delete")));
        expect(failure?.message).to.equal("cleanup failed for 1 of 1 records");
        expect(cloudfront.calls).to.equal(0);
        expect(await exists(target.variants[0])).to.equal(true);
        const body = await s3.s3.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: target.statusKey }));
        expect(await body.Body!.transformToString()).to.equal(target.statusKey);
    });

    it("variants are stored with their image's cache tag, so S3 answers it in the header CloudFront reads", async () => {
        const tagged = image(["300x300"]);
        await putVariant(tagged.variants[0], tagged.finalKey, "sha256:v1");
        const answer = await fetch(`${s3.server.backendUrl}/${TEST_BUCKET}/${tagged.variants[0]}`);
        expect(answer.headers.get(CACHE_TAG_HEADER)).to.equal(tagged.finalKey);
    });
});
