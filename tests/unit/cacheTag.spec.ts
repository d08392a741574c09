// Every object of an image carries its cache tag, and each variant the version of the original it was made from
// (functions/shared/cacheTag.ts, functions/shared/imageObjectMetadata.ts): the original ingest stores, its eager
// variants, the variants the Resizer makes on request and the Resizer's own answers, which CloudFront caches too
// ("Invalidating content by cache tags",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-by-tags.html).
import { expect } from "chai";
import { randomUUID } from "crypto";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { createCleanupHandler } from "../../functions/cleanup/cleanup";
import { createIngestHandler } from "../../functions/ingest/ingest";
import { createResizeHandler } from "../../functions/resize/resize";
import { formatVariantKey, uploadKeys } from "../../functions/shared/bucketLayout";
import { CACHE_TAG_HEADER, CACHE_TAG_METADATA, cacheTagOf, isCacheTag } from "../../functions/shared/cacheTag";
import {
    MADE_FROM_METADATA,
    ORIGINAL_DIGEST_METADATA,
    originalVersionOf,
} from "../../functions/shared/originalVersion";
import { encodeEventKey } from "../../functions/shared/s3Event";
import { localInvalidations } from "../../local/cdn/invalidations";
import { jpegBytes } from "../support/images";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";
import { testResizeSettings } from "../support/resizeSettings";

describe("cache tags and variant versions on every object of an image", () => {
    describe("the tag (CloudFront: ASCII 33–126 without the comma, at most 256 characters)", () => {
        // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-tags.html
        it("is the original's key, a valid tag for the longest key the pipeline makes (a 200-character owner)", () => {
            const longest = uploadKeys(`${"o".repeat(200)}/${randomUUID()}`, "avif").finalKey;
            expect(longest.length).to.be.at.most(256);
            expect(cacheTagOf(longest)).to.equal(longest);
            expect(isCacheTag(longest)).to.equal(true);
        });

        it("refuses what CloudFront refuses: a comma, a space, a control or non-ASCII character, empty, 257 characters", () => {
            for (const bad of ["a,b", "a b", "a\tb", "é", "", "x".repeat(257)])
                expect(isCacheTag(bad), bad).to.equal(false);
            expect(isCacheTag("x".repeat(256))).to.equal(true);
            expect(isCacheTag("!~#*")).to.equal(true);
        });

        it("local mode records a tag item as CloudFront takes it, and refuses one whose tag CloudFront would refuse", async () => {
            const invalidations = localInvalidations();
            const send = (items: string[], reference: string) =>
                invalidations.client.send(
                    new CreateInvalidationCommand({
                        DistributionId: "LOCAL",
                        InvalidationBatch: {
                            CallerReference: reference,
                            Paths: { Quantity: items.length, Items: items },
                        },
                    }),
                );
            await send(["#uploads/a.jpg", "/uploads/a.jpg"], "one");
            expect(invalidations.made().map((made) => made.paths)).to.deep.equal([
                ["#uploads/a.jpg", "/uploads/a.jpg"],
            ]);
            for (const bad of ["#a,b", "#", `#${"x".repeat(257)}`, "#é"]) {
                const refused = await send([bad], bad).then(
                    () => undefined,
                    (error: Error) => error.name,
                );
                expect(refused, bad).to.equal("InvalidArgument");
            }
            expect(invalidations.made()).to.have.length(1);
        });

        it("no key that is not one of the pipeline's originals gets a tag (cleanup never handles those either)", () => {
            for (const key of ["uploads/cat.jpg", "uploads/a b,c.jpg", "300x300/uploads/x.jpg", "status/x.json"])
                expect(cacheTagOf(key), key).to.equal(undefined);
        });
    });

    describe("against the loopback S3", () => {
        let s3: TestS3;
        before(async () => {
            s3 = await startTestS3();
        });
        after(() => s3.close());
        const metadataOf = async (key: string) =>
            (await s3.s3.send(new HeadObjectCommand({ Bucket: TEST_BUCKET, Key: key }))).Metadata ?? {};

        it("ingest stores the original with its tag and digest, and each eager variant with the tag and that digest as its source; cleanup on the original's ObjectCreated keeps them all, however old", async () => {
            const keys = uploadKeys(randomUUID(), "jpg");
            const bytes = await jpegBytes(80, 60);
            await s3.s3.send(
                new PutObjectCommand({
                    Bucket: TEST_BUCKET,
                    Key: keys.stagingKey,
                    Body: bytes,
                    ContentType: "image/jpeg",
                }),
            );
            await createIngestHandler({
                s3: s3.s3,
                log: () => undefined,
                settings: {
                    metricsNamespace: "image-pipeline/test",
                    bucket: TEST_BUCKET,
                    allowedContentTypes: ["image/jpeg"],
                    maxUploadBytes: 1_000_000,
                    limitInputPixels: 50_000_000,
                    allowedResolutions: ["300x300", "64x48"],
                    eager: {
                        resolutions: ["300x300", "64x48"],
                        fit: "cover",
                        gravity: "centre",
                        quality: 80,
                        formats: ["webp"],
                    },
                },
            })({
                Records: [
                    {
                        eventName: "ObjectCreated:Put",
                        s3: { bucket: { name: TEST_BUCKET }, object: { key: encodeEventKey(keys.stagingKey) } },
                    },
                ],
            });

            const original = await metadataOf(keys.finalKey);
            expect(original[CACHE_TAG_METADATA]).to.equal(keys.finalKey);
            expect(original[ORIGINAL_DIGEST_METADATA]).to.match(/^sha256:[0-9a-f]{64}$/);
            const eager = ["300x300", "64x48"].flatMap((size) =>
                [undefined, "webp" as const].map((format) => formatVariantKey(size, format, keys.finalKey)),
            );
            for (const key of eager) {
                const metadata = await metadataOf(key);
                expect(metadata[CACHE_TAG_METADATA], key).to.equal(keys.finalKey);
                expect(metadata[MADE_FROM_METADATA], key).to.equal(original[ORIGINAL_DIGEST_METADATA]);
                s3.ageObject(key, 120); // as if made two minutes before the original was last written
            }

            const invalidations = localInvalidations();
            await createCleanupHandler({
                s3: s3.s3,
                cloudfront: invalidations.client,
                log: () => undefined,
                settings: {
                    metricsNamespace: "image-pipeline/test",
                    bucket: TEST_BUCKET,
                    distributionId: "E1",
                    allowedResolutions: ["300x300", "64x48"],
                },
            })({
                Records: [
                    {
                        eventName: "ObjectCreated:Put",
                        s3: { bucket: { name: TEST_BUCKET }, object: { key: encodeEventKey(keys.finalKey) } },
                    },
                ],
            });
            for (const key of eager) expect(await s3.head(key), key).to.not.equal(undefined);
            expect(invalidations.made()).to.deep.equal([]);
        });

        it("the Resizer stores a variant with the tag and its original's version, and answers the tag in CloudFront's header, made or stored", async () => {
            const keys = uploadKeys(randomUUID(), "jpg");
            const bytes = await jpegBytes(80, 60);
            const digest = `sha256:${"a".repeat(64)}`;
            await s3.s3.send(
                new PutObjectCommand({
                    Bucket: TEST_BUCKET,
                    Key: keys.finalKey,
                    Body: bytes,
                    ContentType: "image/jpeg",
                    Metadata: { [ORIGINAL_DIGEST_METADATA]: digest },
                }),
            );
            const resize = createResizeHandler({
                s3: s3.s3,
                log: () => undefined,
                settings: testResizeSettings(),
            });
            const variantKey = `300x300/${keys.finalKey}`;
            const get = () =>
                resize({
                    rawPath: `/${variantKey}`,
                    headers: {},
                    requestContext: { http: { method: "GET" }, requestId: "r" },
                });

            const made = await get();
            expect(made.statusCode, made.body).to.equal(200);
            expect(made.headers[CACHE_TAG_HEADER]).to.equal(keys.finalKey);
            const stored = await metadataOf(variantKey);
            expect(stored).to.deep.equal({ [CACHE_TAG_METADATA]: keys.finalKey, [MADE_FROM_METADATA]: digest });
            const again = await get();
            expect(again.headers["x-variant"]).to.equal("stored");
            expect(again.headers[CACHE_TAG_HEADER]).to.equal(keys.finalKey);
        });

        it("an original without ingest's digest (another writer's) is known by its ETag, as cleanup reads it", async () => {
            const keys = uploadKeys(randomUUID(), "jpg");
            await s3.s3.send(
                new PutObjectCommand({
                    Bucket: TEST_BUCKET,
                    Key: keys.finalKey,
                    Body: await jpegBytes(40, 30),
                    ContentType: "image/jpeg",
                }),
            );
            const resize = createResizeHandler({
                s3: s3.s3,
                log: () => undefined,
                settings: testResizeSettings(),
            });
            const variantKey = `300x300/${keys.finalKey}`;
            const made = await resize({
                rawPath: `/${variantKey}`,
                headers: {},
                requestContext: { http: { method: "GET" }, requestId: "r" },
            });
            expect(made.statusCode, made.body).to.equal(200);
            const head = await s3.s3.send(new HeadObjectCommand({ Bucket: TEST_BUCKET, Key: keys.finalKey }));
            expect((await metadataOf(variantKey))[MADE_FROM_METADATA]).to.equal(originalVersionOf(head));
            expect(originalVersionOf(head)).to.equal(`etag:${head.ETag}`);
        });
    });
});
