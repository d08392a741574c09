// The cleanup function (functions/cleanup/) when an original is written (ObjectCreated:*): the variants made from
// another version of it go, then one invalidation names its cache tag; the current version's are kept. And what
// holds for every event: variants found under any size's prefix, foreign events ignored, an S3 failure retried
// whole, variants stored with their image's cache tag.
import { expect } from "chai";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CACHE_TAG_HEADER } from "../../functions/shared/cacheTag";
import { originalVersionOf } from "../../functions/shared/originalVersion";
import { TEST_BUCKET } from "../support/localS3";
import {
    age,
    awsError,
    cleanup,
    cloudfront,
    eventFor,
    exists,
    image,
    logs,
    outcomeOf,
    put,
    putOriginal,
    putVariant,
    s3,
    useCleanupHarness,
} from "../support/cleanupHarness";

describe("cleanup function (functions/cleanup/) against the loopback S3: an original written; every event", () => {
    useCleanupHarness();

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
