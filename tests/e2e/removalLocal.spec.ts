// Removal end to end against the real `npm start` process: an original deleted through the local S3 takes every
// object of its image with it (variants in each format made, status), the cleanup function records ONE tag
// invalidation, `#<key>` (logged as "cdn invalidation"), and the server stays up.
import { expect } from "chai";
import { DeleteObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { createS3Client } from "../../functions/shared/s3Client";
import { LOCAL_BUCKET } from "../../local/server";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/s3/localS3";
import { jpegBytes } from "../support/images";
import { uploadAndCheck } from "../support/localPipeline";
import { LocalProcess, startLocalProcess } from "../support/localProcess";

describe("removal end to end (npm start: DeleteObject → ObjectRemoved → cleanup → one tag invalidation)", function () {
    this.timeout(120_000);
    let server: LocalProcess;
    before(async () => {
        server = await startLocalProcess();
    });
    after(() => server?.stop());

    /** The "cdn invalidation" lines the process logged, as the paths each named. */
    const invalidations = () =>
        server
            .output()
            .split("\n")
            .filter((line) => line.startsWith("{") && line.includes('"cdn invalidation"'))
            .map((line) => (JSON.parse(line) as { paths: string[] }).paths);

    it("deleting an original leaves none of its objects and records one tag invalidation; the server stays up", async () => {
        const { signed, status } = await uploadAndCheck(server.url, "image/jpeg", await jpegBytes(80, 60));
        expect(status.status).to.equal("ready");
        for (const path of [`300x300/${signed.key}`, `640x480/${signed.key}`])
            expect((await fetch(`${server.url}/cdn/${path}`)).status, path).to.equal(200);

        const s3 = createS3Client({ endpoint: server.s3Url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
        const id = signed.key.slice("uploads/".length, signed.key.lastIndexOf("."));
        const objectsOfImage = async () =>
            ((await s3.send(new ListObjectsV2Command({ Bucket: LOCAL_BUCKET }))).Contents ?? [])
                .map((entry) => entry.Key!)
                .filter((key) => key.includes(id));
        try {
            expect(await objectsOfImage()).to.include.members([signed.key, `300x300/${signed.key}`]);
            expect(invalidations(), "ingest's first write costs no invalidation").to.deep.equal([]);

            await s3.send(new DeleteObjectCommand({ Bucket: LOCAL_BUCKET, Key: signed.key }));
            // The event is delivered after the answer, as on AWS: wait for its invalidation, bounded by attempts.
            for (let attempt = 0; attempt < 400 && invalidations().length === 0; attempt++)
                await new Promise((resolve) => setTimeout(resolve, 25));

            expect(invalidations()).to.deep.equal([[`#${signed.key}`]]);
            expect(await objectsOfImage()).to.deep.equal([]);
            expect((await fetch(signed.statusUrl)).status, "the status is gone").to.equal(404);
            expect(server.alive()).to.equal(true);
            expect((await fetch(`${server.url}/`)).status, "still serving").to.equal(200);
        } finally {
            s3.destroy();
        }
    });
});
