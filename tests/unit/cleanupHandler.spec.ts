// The cleanup function (functions/cleanup/) against the loopback S3, with a CloudFront client that keeps
// invalidations as CloudFront does: a removed original takes its variants and status with it, an overwritten one the
// variants made from another version; the objects go first, then ONE invalidation names the image's cache tag
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-by-tags.html), retried through
// throttling and a full queue within the invocation.
import { expect } from "chai";
import { DeleteObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { callerReferenceOf, INVALIDATION_RETRY_BUDGET_MS } from "../../functions/cleanup/invalidate";
import { TEST_BUCKET } from "../support/localS3";
import {
    awsError,
    cleanup,
    clock,
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

describe("cleanup function (functions/cleanup/) against the loopback S3: an original removed", () => {
    useCleanupHarness();

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
});
