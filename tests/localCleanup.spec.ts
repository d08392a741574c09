// Removal in local mode (local/server.ts): deleting an original through the local S3 sends S3's ObjectRemoved
// event to the same cleanup function the stack deploys; its variants and status go, and the local CDN's
// invalidation sink records exactly the paths that had existed.
import { expect } from "chai";
import { DeleteObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { createS3Client } from "../functions/shared/s3Client";
import { LOCAL_BUCKET } from "../local/server";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../local/s3/localS3";
import { jpegBytes } from "./support/images";
import { awaitChecked, startTestPipeline } from "./support/localPipeline";

describe("removal in local mode (ObjectRemoved → the cleanup function → the invalidation sink)", function () {
    this.timeout(120_000);
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    before(async () => {
        pipeline = await startTestPipeline();
    });
    after(() => pipeline?.close());

    it("deleting an original deletes its variants and status and records one invalidation of exactly their paths", async () => {
        const signed = (await (
            await fetch(`${pipeline.url}/api/uploads`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ contentType: "image/jpeg" }),
            })
        ).json()) as { key: string; uploadUrl: string; statusUrl: string; headers: Record<string, string> };
        const put = await fetch(signed.uploadUrl, {
            method: "PUT",
            headers: signed.headers,
            body: await jpegBytes(80, 60),
        });
        expect(put.status).to.equal(200);
        expect((await awaitChecked(signed.statusUrl)).status).to.equal("ready");
        expect((await fetch(`${pipeline.url}/cdn/640x480/${signed.key}`)).status, "a variant made").to.equal(200);
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
            expect(invalidation.paths).to.have.members([`/${signed.key}`, `/640x480/${signed.key}`]);
            expect(invalidation.paths).to.have.length(2);
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
