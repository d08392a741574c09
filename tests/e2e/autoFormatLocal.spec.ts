// Format by Accept end to end in local mode: the local CDN runs the edge function (functions/edge/chooseFormat.js)
// in front of the real Resizer and local S3.
import { expect } from "chai";
import sharp from "sharp";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { createS3Client } from "../../functions/shared/s3Client";
import { formatVariantKey } from "../../functions/shared/bucketLayout";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/s3/localS3";
import { LOCAL_BUCKET } from "../../local/server";
import { jpegBytes } from "../support/images";
import { awaitChecked, startTestPipeline } from "../support/localPipeline";

const CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
const CHROME_BEFORE_AVIF = "image/webp,image/apng,image/*,*/*;q=0.8";
const CURL = "*/*";

describe("format by Accept in local mode (edge function → CDN → Resizer → S3)", () => {
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    before(async () => {
        pipeline = await startTestPipeline();
    });
    after(() => pipeline.close());

    const upload = async () => {
        const response = await fetch(`${pipeline.url}/api/uploads`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ contentType: "image/jpeg" }),
        });
        const signed: any = await response.json();
        await fetch(signed.uploadUrl, { method: "PUT", headers: signed.headers, body: await jpegBytes(800, 600) });
        expect((await awaitChecked(signed.statusUrl)).status).to.equal("ready");
        return signed.key as string;
    };
    const variant = async (path: string, accept: string) => {
        const response = await fetch(`${pipeline.url}/cdn/${path}`, { headers: { accept } });
        const body = Buffer.from(await response.arrayBuffer());
        return {
            status: response.status,
            type: response.headers.get("content-type"),
            vary: response.headers.get("vary"),
            body,
        };
    };

    it("one variant URL, three Accept headers: AVIF, WebP and JPEG, each made once, stored once, then served from S3", async () => {
        const key = await upload();
        const path = `300x300/${key}`;
        const before = pipeline.resizeCalls();
        const first = {
            avif: await variant(path, CHROME),
            webp: await variant(path, CHROME_BEFORE_AVIF),
            jpeg: await variant(path, CURL),
        };
        for (const [format, answer] of Object.entries(first)) {
            expect(answer.status, format).to.equal(200);
            expect(answer.type, format).to.equal(`image/${format}`);
            expect(answer.vary, format).to.match(/\bAccept\b/);
            const metadata = await sharp(answer.body).metadata();
            expect([metadata.width, metadata.height], format).to.deep.equal([300, 300]);
            expect(metadata.format === "heif" ? "avif" : metadata.format, format).to.equal(format);
        }
        expect(pipeline.resizeCalls() - before, "one resize per format").to.equal(3);

        const s3 = createS3Client({ endpoint: pipeline.s3Url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: LOCAL_BUCKET, Prefix: "300x300/" }));
        const stored = (listed.Contents ?? [])
            .map((o) => o.Key!)
            .filter((k) => k.endsWith(key.slice("uploads/".length)));
        expect(stored.sort()).to.deep.equal(
            [undefined, "avif", "webp"].map((format) => formatVariantKey("300x300", format as any, key)).sort(),
        );
        for (const storedKey of stored) {
            const object = await s3.send(new GetObjectCommand({ Bucket: LOCAL_BUCKET, Key: storedKey }));
            const body = Buffer.from(await object.Body!.transformToByteArray());
            const served = Object.values(first).find((answer) => answer.type === object.ContentType)!;
            expect(body.equals(served.body), storedKey).to.equal(true);
        }

        const again = [await variant(path, CHROME), await variant(path, CHROME_BEFORE_AVIF), await variant(path, CURL)];
        expect(again.map((a) => a.type)).to.deep.equal(["image/avif", "image/webp", "image/jpeg"]);
        expect(again.map((a, i) => a.body.equals(Object.values(first)[i].body))).to.deep.equal([true, true, true]);
        expect(pipeline.resizeCalls() - before, "second requests do not invoke the Resizer").to.equal(3);
    });
});
