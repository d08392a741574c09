// Removal in local mode (local/server.ts): deleting an original through the local S3 sends S3's ObjectRemoved
// event to the same cleanup function the stack deploys; its variants and status go, and the local CDN's
// invalidation sink records the image's one tag invalidation. The local CDN answers each object with the cache-tag
// header the distribution reads, as S3 and the Resizer send it.
import { expect } from "chai";
import { DeleteObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { createS3Client } from "../../functions/shared/s3Client";
import { LOCAL_BUCKET } from "../../local/server";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/s3/localS3";
import { CACHE_TAG_HEADER } from "../../functions/shared/cacheTag";
import { jpegBytes } from "../support/images";
import { startTestPipeline, uploadAndCheck } from "../support/localPipeline";

describe("removal in local mode (ObjectRemoved → the cleanup function → the invalidation sink)", function () {
    this.timeout(120_000);
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    before(async () => {
        pipeline = await startTestPipeline();
    });
    after(() => pipeline?.close());

    it("deleting an original deletes its variants and status and records one invalidation: #<tag>", async () => {
        const { signed, status } = await uploadAndCheck(pipeline.url, "image/jpeg", await jpegBytes(80, 60));
        expect(status.status).to.equal("ready");
        const made = await fetch(`${pipeline.url}/cdn/640x480/${signed.key}`); // the Resizer's answer
        expect(made.status, "a variant made").to.equal(200);
        expect(made.headers.get(CACHE_TAG_HEADER), "the Resizer's answer").to.equal(signed.key);
        for (const key of [signed.key, `640x480/${signed.key}`]) {
            const stored = await fetch(`${pipeline.url}/cdn/${key}`); // from the bucket
            expect(stored.headers.get(CACHE_TAG_HEADER), key).to.equal(signed.key);
        }
        expect(pipeline.invalidations(), "ingest's first write costs no invalidation").to.deep.equal([]);

        const s3 = createS3Client({ endpoint: pipeline.s3Url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
        try {
            await s3.send(new DeleteObjectCommand({ Bucket: LOCAL_BUCKET, Key: signed.key }));
            // The event is delivered after the answer, as on AWS: wait for its invalidation, bounded by attempts.
            for (let attempt = 0; attempt < 400 && pipeline.invalidations().length === 0; attempt++)
                await new Promise((resolve) => setTimeout(resolve, 25));
            const [invalidation, ...more] = pipeline.invalidations();
            expect(more).to.deep.equal([]);
            expect(invalidation.distributionId).to.equal("LOCAL");
            expect(invalidation.paths).to.deep.equal([`#${signed.key}`]);
            const head = (key: string) =>
                s3.send(new HeadObjectCommand({ Bucket: LOCAL_BUCKET, Key: key })).then(
                    () => 200,
                    (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode,
                );
            expect(await head(`640x480/${signed.key}`)).to.equal(404);
            expect((await fetch(signed.statusUrl)).status, "the status is gone").to.equal(404);
        } finally {
            s3.destroy();
        }
    });
});
