// Issue 14 in local mode (local/server.ts, in-process): the same ingest code makes the eager variants, so their
// first view through the CDN is a cache hit, and publishes every final status to the local events file
// (<data dir>/upload-events.jsonl), as the stack publishes to its SNS topic.
import { expect } from "chai";
import * as fs from "fs";
import sharp from "sharp";
import { UploadEvent } from "../../functions/ingest/uploadEvents";
import { uploadEventsFile } from "../../local/uploadEventLog";
import { jpegBytes } from "../support/images";
import { startTestPipeline, uploadAndCheck } from "../support/localPipeline";

describe("ingest in local mode: eager variants and the upload events file", function () {
    this.timeout(60_000);
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    before(async () => {
        pipeline = await startTestPipeline({ "image-pipeline:eagerResolutions": "300x300" });
    });
    after(() => pipeline?.close());

    const upload = (contentType: string, body: Buffer | string) => uploadAndCheck(pipeline.url, contentType, body);
    const events = (): UploadEvent[] =>
        fs
            .readFileSync(uploadEventsFile(pipeline.dataDir), "utf8")
            .split("\n")
            .filter(Boolean)
            .map((line) => JSON.parse(line));

    it("a good upload: its eager variant is stored before ready, in every format the CDN sends, so the CDN serves it without a resize", async () => {
        const { signed, status } = await upload("image/jpeg", await jpegBytes(800, 600));
        expect(status.status).to.equal("ready");
        expect(status.storedVariants).to.deep.equal([
            `300x300/${signed.key}`,
            `300x300/avif/${signed.key}`,
            `300x300/webp/${signed.key}`,
        ]);
        const before = pipeline.resizeCalls();
        for (const [accept, format] of [
            ["*/*", "jpeg"],
            ["image/avif,image/webp,*/*", "heif"],
            ["image/webp,*/*", "webp"],
        ]) {
            const variant = await fetch(`${pipeline.url}/cdn/300x300/${signed.key}`, { headers: { accept } });
            expect(variant.status, accept).to.equal(200);
            const metadata = await sharp(Buffer.from(await variant.arrayBuffer())).metadata();
            expect([metadata.format, metadata.width, metadata.height], accept).to.deep.equal([format, 300, 300]);
        }
        expect(pipeline.resizeCalls(), "cache hits: no resize").to.equal(before);
        // A size not eager is still made on its first request.
        expect((await fetch(`${pipeline.url}/cdn/640x480/${signed.key}`)).status).to.equal(200);
        expect(pipeline.resizeCalls()).to.equal(before + 1);
    });

    it("each final status is published once to the events file: message = the status JSON, attribute status", async () => {
        const ready = await upload("image/jpeg", await jpegBytes(64, 48));
        const rejected = await upload("image/jpeg", "not a picture\n");
        expect(rejected.status.status).to.equal("rejected");
        for (const { signed, status } of [ready, rejected]) {
            const published = events().filter((event) => JSON.parse(event.message).key === signed.key);
            expect(published, signed.key).to.have.length(1);
            expect(published[0].attributes).to.deep.equal({ status: status.status });
            // Exactly what the status route answers (the status object as stored).
            expect(JSON.parse(published[0].message)).to.deep.equal(status);
        }
    });
});
