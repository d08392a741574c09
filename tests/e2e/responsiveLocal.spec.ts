// Width-only and height-only sizes end to end in local mode, as ordinary sizes: named by the status, made ahead at
// ingest (eagerResolutions) in every format, answered by Accept through the edge function, and removed with their
// original (cleanup, one tag invalidation).
import { expect } from "chai";
import sharp from "sharp";
import { DeleteObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { createS3Client } from "../../functions/shared/s3Client";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/s3/localS3";
import { LOCAL_BUCKET } from "../../local/server";
import { photoJpeg } from "../support/images";
import { startTestPipeline, uploadAndCheck } from "../support/localPipeline";

const CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
const CHROME_BEFORE_AVIF = "image/webp,image/apng,image/*,*/*;q=0.8";
const CURL = "*/*";

describe("width-only and height-only sizes in local mode (status, eager variants, format by Accept, removal)", function () {
    this.timeout(120_000);
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    before(async () => {
        pipeline = await startTestPipeline({
            "image-pipeline:allowedResolutions": "300x300,640x0,1080x0,0x480",
            "image-pipeline:eagerResolutions": "640x0",
        });
    });
    after(() => pipeline?.close());

    const get = async (path: string, accept: string) => {
        const response = await fetch(`${pipeline.url}/cdn/${path}`, { headers: { accept } });
        const body = Buffer.from(await response.arrayBuffer());
        const metadata = response.ok ? await sharp(body).metadata() : undefined;
        return { status: response.status, type: response.headers.get("content-type"), metadata };
    };

    it("names them in the status, makes the eager one in every format, answers each by Accept at its width, and removes them with the original", async () => {
        const { signed, status } = await uploadAndCheck(
            pipeline.url,
            "image/jpeg",
            await photoJpeg(1600, 1200, { quality: 85 }),
        );
        const key: string = signed.key;
        expect(status.status).to.equal("ready");
        expect(status.variants).to.deep.equal([`300x300/${key}`, `640x0/${key}`, `1080x0/${key}`, `0x480/${key}`]);
        expect(status.storedVariants).to.have.members([`640x0/${key}`, `640x0/avif/${key}`, `640x0/webp/${key}`]);

        const resizesBefore = pipeline.resizeCalls();
        const eager = {
            avif: await get(`640x0/${key}`, CHROME),
            webp: await get(`640x0/${key}`, CHROME_BEFORE_AVIF),
            jpeg: await get(`640x0/${key}`, CURL),
        };
        for (const [format, answer] of Object.entries(eager)) {
            expect([answer.status, answer.type], format).to.deep.equal([200, `image/${format}`]);
            expect([answer.metadata?.width, answer.metadata?.height], format).to.deep.equal([640, 480]);
        }
        expect(pipeline.resizeCalls() - resizesBefore, "eager variants are served from storage").to.equal(0);

        const wide = await get(`1080x0/${key}`, CHROME);
        expect([wide.status, wide.type, wide.metadata?.width, wide.metadata?.height]).to.deep.equal([
            200,
            "image/avif",
            1080,
            810,
        ]);
        const high = await get(`0x480/${key}`, CHROME_BEFORE_AVIF);
        expect([high.status, high.type, high.metadata?.width, high.metadata?.height]).to.deep.equal([
            200,
            "image/webp",
            640,
            480,
        ]);
        expect((await get(`750x0/${key}`, CHROME)).status, "a width not allowed").to.equal(403);

        const s3 = createS3Client({ endpoint: pipeline.s3Url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
        const id = key.slice("uploads/".length, key.lastIndexOf("."));
        const objectsOfImage = async () =>
            ((await s3.send(new ListObjectsV2Command({ Bucket: LOCAL_BUCKET }))).Contents ?? [])
                .map((entry) => entry.Key!)
                .filter((object) => object.includes(id))
                .sort();
        try {
            expect(await objectsOfImage()).to.include.members([
                `1080x0/avif/${key}`,
                `0x480/webp/${key}`,
                `640x0/${key}`,
            ]);
            await s3.send(new DeleteObjectCommand({ Bucket: LOCAL_BUCKET, Key: key }));
            for (let attempt = 0; attempt < 400 && pipeline.invalidations().length === 0; attempt++)
                await new Promise((resolve) => setTimeout(resolve, 25));
            expect(pipeline.invalidations().map((made) => made.paths)).to.deep.equal([[`#${key}`]]);
            expect(await objectsOfImage()).to.deep.equal([]);
        } finally {
            s3.destroy();
        }
    });
});
