// The Resizer renders the format a variant key asks for (functions/shared/variantFormats.ts, renderVariant.ts):
// end to end through the handler against the loopback S3, and the threads it sizes to the function's vCPUs.
import { expect } from "chai";
import sharp, { Metadata } from "sharp";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { parsePipelineConfig } from "../../config/stackConfig";
import { createResizeHandler } from "../../functions/resize/resize";
import { resizeSettingsFromConfig } from "../../config/functionSettings";
import { fargateVcpus, lambdaVcpus } from "../../config/vcpus";
import { ResizeSettings } from "../../functions/resize/settings";
import { chooseOutputFormat } from "../../functions/shared/variantFormats";
import { httpEvent } from "../support/events";
import { animated, avifBytes, jpegBytes, pngWithAlpha, webpBytes } from "../support/images";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";
import { testResizeSettings } from "../support/resizeSettings";
import { imageOf } from "../support/resizeAnswer";

describe("variant formats: the Resizer renders AVIF and WebP (functions/resize)", () => {
    let s3: TestS3;
    const settings = (overrides: Partial<ResizeSettings> = {}): ResizeSettings =>
        testResizeSettings({ formats: ["avif", "webp"], ...overrides });
    const get = (path: string, overrides: Partial<ResizeSettings> = {}) =>
        createResizeHandler({ s3: s3.s3, settings: settings(overrides), log: () => undefined })(httpEvent("GET", path));
    const store = (key: string, body: Buffer, contentType: string) =>
        s3.s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key, Body: body, ContentType: contentType }));
    /** sharp names AVIF "heif" with AV1 compression. */
    const formatOf = (metadata: Metadata) =>
        metadata.format === "heif" && metadata.compression === "av1" ? "avif" : metadata.format;
    const stored = async (key: string) => {
        const object = await s3.s3.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
        return { contentType: object.ContentType, bytes: Buffer.from(await object.Body!.transformToByteArray()) };
    };

    before(async () => {
        s3 = await startTestS3();
        await store("uploads/photo.jpg", await jpegBytes(800, 600), "image/jpeg");
        await store("uploads/alpha.png", await pngWithAlpha(400, 400), "image/png");
        await store("uploads/wide.webp", await webpBytes(1600, 900), "image/webp");
        await store("uploads/still.avif", await avifBytes(640, 640), "image/avif");
        await store("uploads/anim.gif", await animated("gif", 160, 120, 3), "image/gif");
        await store("uploads/big.jpg", await jpegBytes(1600, 1000), "image/jpeg");
    });
    after(() => s3.close());

    for (const format of ["avif", "webp"] as const) {
        it(`300x300/${format}/uploads/photo.jpg answers and stores ${format}, 300x300, Content-Type image/${format}`, async () => {
            const result = await get(`/300x300/${format}/uploads/photo.jpg`);
            const { bytes, metadata } = await imageOf(result);
            expect([formatOf(metadata), metadata.width, metadata.height]).to.deep.equal([format, 300, 300]);
            expect(result.headers["content-type"]).to.equal(`image/${format}`);
            const object = await stored(`300x300/${format}/uploads/photo.jpg`);
            expect(object.contentType).to.equal(`image/${format}`);
            expect(object.bytes.equals(bytes), "the answer is what was stored").to.equal(true);
        });

        it(`keeps the alpha channel of a PNG in ${format}`, async () => {
            const { bytes, metadata } = await imageOf(await get(`/300x300/${format}/uploads/alpha.png`));
            expect([formatOf(metadata), metadata.hasAlpha]).to.deep.equal([format, true]);
            // pngWithAlpha is half transparent: the encoded alpha is not flattened to opaque
            const { data } = await sharp(bytes).extractChannel(3).raw().toBuffer({ resolveWithObject: true });
            expect(Math.min(...data)).to.be.below(200);
        });
    }

    it("a key without a format segment still gets the original's format (today's keys unchanged)", async () => {
        const { metadata } = await imageOf(await get("/300x300/uploads/photo.jpg"));
        expect(formatOf(metadata)).to.equal("jpeg");
    });

    it("an animated GIF asked as WebP becomes an animated WebP with all its frames", async () => {
        const { metadata } = await imageOf(await get("/300x300/webp/uploads/anim.gif"));
        expect([formatOf(metadata), metadata.pages, metadata.pageHeight]).to.deep.equal(["webp", 3, 120]);
    });

    it("an animated GIF asked as AVIF is rendered and stored as animated WebP with its true Content-Type", async () => {
        const result = await get("/300x300/avif/uploads/anim.gif");
        const { metadata } = await imageOf(result);
        expect([formatOf(metadata), metadata.pages]).to.deep.equal(["webp", 3]);
        expect(result.headers["content-type"]).to.equal("image/webp");
        expect((await stored("300x300/avif/uploads/anim.gif")).contentType).to.equal("image/webp");
    });

    it("originals already AVIF or WebP keep their format whatever the key asks", async () => {
        const avif = await imageOf(await get("/300x300/webp/uploads/still.avif"));
        expect(formatOf(avif.metadata)).to.equal("avif");
        const webp = await imageOf(await get("/300x300/avif/uploads/wide.webp"));
        expect(formatOf(webp.metadata)).to.equal("webp");
    });

    it("AVIF up to AVIF_MAX_PIXELS (1280x720); above, answered as WebP (its AVIF encode is too slow for a first hit)", async () => {
        const sizes = { allowedResolutions: ["1280x720", "1600x1000"] };
        const atBound = await imageOf(await get("/1280x720/avif/uploads/big.jpg", sizes));
        expect([formatOf(atBound.metadata), atBound.metadata.width]).to.deep.equal(["avif", 1280]);
        const result = await get("/1600x1000/avif/uploads/big.jpg", sizes);
        const { metadata } = await imageOf(result);
        expect([formatOf(metadata), metadata.width, metadata.height]).to.deep.equal(["webp", 1600, 1000]);
        expect(result.headers["content-type"]).to.equal("image/webp");
    });

    it("a format not in `formats` is refused 403, and nothing is stored", async () => {
        const result = await get("/640x480/avif/uploads/photo.jpg", { formats: ["webp"] });
        expect(result.statusCode).to.equal(403);
        expect(JSON.parse(result.body).error.code).to.equal("format_not_allowed");
        const missing = await s3.s3
            .send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: "640x480/avif/uploads/photo.jpg" }))
            .then(
                () => "found",
                (error) => error.name,
            );
        expect(missing).to.equal("NoSuchKey");
    });

    it("the /resize?key= flow makes a format variant and redirects to it", async () => {
        const result = await get("/resize", {});
        expect(result.statusCode).to.equal(400); // no key
        const handler = createResizeHandler({ s3: s3.s3, settings: settings(), log: () => undefined });
        const redirect = await handler({
            ...httpEvent("GET", "/resize"),
            rawQueryString: "key=640x480/webp/uploads/photo.jpg",
        });
        expect(redirect.statusCode).to.equal(307);
        expect(redirect.headers.location).to.equal("https://cdn.example.com/640x480/webp/uploads/photo.jpg");
        expect((await stored("640x480/webp/uploads/photo.jpg")).contentType).to.equal("image/webp");
    });
});

describe("format rules (variantFormats.ts chooseOutputFormat)", () => {
    const choose = (over: Partial<Parameters<typeof chooseOutputFormat>[0]>) =>
        chooseOutputFormat({
            requested: "avif",
            original: "jpeg",
            animated: false,
            outputPixels: 300 * 300,
            avifMaxPixels: 640 * 480,
            ...over,
        });
    it("AVIF up to avifMaxPixels, WebP above; a variant made ahead may raise the bound", () => {
        expect(choose({ outputPixels: 640 * 480 })).to.equal("avif");
        expect(choose({ outputPixels: 640 * 480 + 1 })).to.equal("webp");
        expect(choose({ outputPixels: 1280 * 720, avifMaxPixels: Infinity })).to.equal("avif");
    });
    it("no format asked: the original's; animation: WebP; AVIF/WebP originals: kept", () => {
        expect(choose({ requested: undefined, original: "png" })).to.equal("png");
        expect(choose({ original: "gif", animated: true })).to.equal("webp");
        expect(choose({ original: "gif", animated: false })).to.equal("avif");
        expect(choose({ requested: "webp", original: "avif" })).to.equal("avif");
        expect(choose({ requested: "avif", original: "webp" })).to.equal("webp");
    });
});

describe("Resizer threads follow the function's vCPUs (config/vcpus.ts)", () => {
    it("Lambda: one thread up to 1769 MB (one vCPU), a second above, at most 6", () => {
        expect([128, 1536, 1769, 1770, 3538, 3539, 10240].map(lambdaVcpus)).to.deep.equal([1, 1, 1, 2, 2, 3, 6]);
    });
    it("Fargate: the task's cpu units / 1024, at least one", () => {
        expect(["256", "512", "1024", "2048", "4096"].map(fargateVcpus)).to.deep.equal([1, 1, 1, 2, 4]);
    });
    it("the settings carry them from the config, by the runtime in use", () => {
        const of = (values: Record<string, string>) =>
            resizeSettingsFromConfig(
                parsePipelineConfig(
                    Object.fromEntries(Object.entries(values).map(([k, v]) => [`image-pipeline:${k}`, v])),
                    "image-pipeline",
                ),
                { metricsNamespace: "image-pipeline/test", bucket: "b" },
            ).threads;
        expect(of({})).to.equal(1);
        expect(of({ resizerMemoryMb: "2048" })).to.equal(2);
        expect(of({ resizerRuntime: "fargate", fargateCpu: "2048", fargateMemoryMb: "4096" })).to.equal(2);
    });
    it("the handler applies them to sharp when it is made", () => {
        const before = sharp.concurrency();
        try {
            createResizeHandler({ s3: {} as never, settings: { ...baseSettings(), threads: 2 } });
            expect(sharp.concurrency()).to.equal(2);
            createResizeHandler({ s3: {} as never, settings: { ...baseSettings(), threads: 1 } });
            expect(sharp.concurrency()).to.equal(1);
        } finally {
            sharp.concurrency(before);
        }
    });
});

function baseSettings(): ResizeSettings {
    return {
        metricsNamespace: "image-pipeline/test",
        bucket: "b",
        uploadPrefix: "uploads/",
        allowedResolutions: ["300x300"],
        maxDimension: 2048,
        fit: "cover",
        gravity: "centre",
        quality: 80,
        limitInputPixels: 1_000_000,
    };
}
