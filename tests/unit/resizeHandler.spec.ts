import { expect } from "chai";
import sharp from "sharp";
import { PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { createResizeHandler, VARIANT_CACHE_CONTROL } from "../../functions/resize/resize";
import { ResizeSettings } from "../../functions/resize/settings";
import { HttpResult } from "../../functions/shared/http";
import { targetBox } from "../../functions/resize/renderVariant";
import { httpEvent } from "../support/events";
import { animated, avifBytes, jpegBytes, jpegWithOrientation6, pngWithAlpha, webpBytes } from "../support/images";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";
import { testResizeSettings } from "../support/resizeSettings";
import { imageOf } from "../support/resizeAnswer";

describe("resize handler (functions/resize/resize.ts) against the loopback S3", () => {
    let s3: TestS3;
    let logs: string[];
    const settings = testResizeSettings;
    const handler = (overrides: Partial<ResizeSettings> = {}) =>
        createResizeHandler({ s3: s3.s3, settings: settings(overrides), log: (line) => logs.push(line) });
    const get = (path: string, overrides: Partial<ResizeSettings> = {}) => handler(overrides)(httpEvent("GET", path));
    const store = (key: string, body: Buffer, contentType: string) =>
        s3.s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key, Body: body, ContentType: contentType }));
    const errorOf = (result: HttpResult) => ({
        status: result.statusCode,
        code: JSON.parse(result.body).error?.code,
        cache: result.headers["cache-control"],
    });

    before(async () => {
        s3 = await startTestS3();
        await store("uploads/photo.jpg", await jpegBytes(800, 600), "image/jpeg");
        await store("uploads/alpha.png", await pngWithAlpha(400, 400), "image/png");
        await store("uploads/wide.webp", await webpBytes(1600, 900), "image/webp");
        await store("uploads/still.avif", await avifBytes(640, 640), "image/avif");
        await store("uploads/anim.gif", await animated("gif", 160, 120, 3), "image/gif");
        await store("uploads/anim.webp", await animated("webp", 160, 120, 4), "image/webp");
        await store("uploads/rotated.jpg", await jpegWithOrientation6(600, 400), "image/jpeg");
        await store("uploads/tiny.jpg", await jpegBytes(100, 80), "image/jpeg");
        await store("uploads/limit.jpg", await jpegBytes(800, 600), "image/jpeg");
        await store("uploads/limit.gif", await animated("gif", 160, 120, 3), "image/gif");
        await store("uploads/not-an-image.jpg", Buffer.from("<html>definitely not a JPEG</html>"), "image/jpeg");
    });
    after(() => s3.close());
    beforeEach(() => {
        logs = [];
    });

    describe("making variants", () => {
        for (const [size, width, height] of [
            ["300x300", 300, 300],
            ["640x480", 640, 480],
            ["1280x720", 800, 450],
        ] as const) {
            it(`cover ${size} from an 800x600 JPEG → ${width}x${height} JPEG (never larger than the original)`, async () => {
                const { metadata } = await imageOf(await get(`/${size}/uploads/photo.jpg`));
                expect([metadata.format, metadata.width, metadata.height]).to.deep.equal(["jpeg", width, height]);
            });
        }

        it("contain keeps the whole image inside the exact box; inside keeps the original's aspect", async () => {
            const contain = await imageOf(await get("/300x300/uploads/wide.webp", { fit: "contain" }));
            expect([contain.metadata.width, contain.metadata.height]).to.deep.equal([300, 300]);
            const inside = await imageOf(await get("/640x480/uploads/wide.webp", { fit: "inside" }));
            expect([inside.metadata.format, inside.metadata.width, inside.metadata.height]).to.deep.equal([
                "webp",
                640,
                360,
            ]);
        });

        it("keeps PNG with its alpha channel", async () => {
            const { metadata } = await imageOf(await get("/300x300/uploads/alpha.png"));
            expect([metadata.format, metadata.width, metadata.height, metadata.hasAlpha]).to.deep.equal([
                "png",
                300,
                300,
                true,
            ]);
        });

        it("keeps AVIF as AVIF", async () => {
            const result = await get("/300x300/uploads/still.avif");
            expect(result.headers["content-type"]).to.equal("image/avif");
            const { metadata } = await imageOf(result);
            expect([metadata.format, metadata.compression, metadata.width]).to.deep.equal(["heif", "av1", 300]);
        });

        it("applies EXIF orientation 6 (width and height swap) and strips the EXIF", async () => {
            const { metadata } = await imageOf(await get("/1280x720/uploads/rotated.jpg", { fit: "inside" }));
            expect([metadata.width, metadata.height]).to.deep.equal([400, 600]);
            expect(metadata.orientation).to.equal(undefined);
            expect(metadata.exif).to.equal(undefined);
        });

        it("keeps the ICC profile while stripping other metadata", async () => {
            const withProfile = await sharp(await jpegBytes(400, 300))
                .withIccProfile("p3")
                .withExif({ IFD0: { Copyright: "someone" } })
                .jpeg()
                .toBuffer();
            expect((await sharp(withProfile).metadata()).icc).to.not.equal(undefined);
            await store("uploads/p3.jpg", withProfile, "image/jpeg");
            const { metadata } = await imageOf(await get("/300x300/uploads/p3.jpg"));
            expect(metadata.icc, "ICC profile").to.not.equal(undefined);
            expect(metadata.exif, "EXIF").to.equal(undefined);
        });

        for (const format of ["gif", "webp"] as const) {
            it(`keeps every frame of an animated ${format.toUpperCase()}`, async () => {
                const { metadata } = await imageOf(
                    await get(`/80x60/uploads/anim.${format}`, { allowedResolutions: ["80x60"] }),
                );
                expect(metadata.format).to.equal(format);
                expect(metadata.pages).to.equal(format === "gif" ? 3 : 4);
                expect([metadata.width, metadata.pageHeight]).to.deep.equal([80, 60]);
            });
        }

        it("does not upscale a small original", async () => {
            const { metadata } = await imageOf(await get("/640x480/uploads/tiny.jpg"));
            expect([metadata.width, metadata.height]).to.deep.equal([100, 75]);
        });

        it("applies the configured quality", async () => {
            const low = await imageOf(await get("/640x480/uploads/wide.webp", { quality: 10 }));
            await store("uploads/wide2.webp", await webpBytes(1600, 900), "image/webp");
            const high = await imageOf(await get("/640x480/uploads/wide2.webp", { quality: 95 }));
            expect(high.bytes.length).to.be.greaterThan(low.bytes.length);
        });

        it("stores the variant with its type and immutable caching, and answers with the same headers", async () => {
            const result = await get("/300x300/uploads/tiny.jpg");
            expect(result.headers).to.include({ "content-type": "image/jpeg", "cache-control": VARIANT_CACHE_CONTROL });
            const stored = await s3.s3.send(
                new GetObjectCommand({ Bucket: TEST_BUCKET, Key: "300x300/uploads/tiny.jpg" }),
            );
            expect(stored.ContentType).to.equal("image/jpeg");
            expect(stored.CacheControl).to.equal(VARIANT_CACHE_CONTROL);
            expect(
                Buffer.from(await stored.Body!.transformToByteArray()).equals(Buffer.from(result.body, "base64")),
            ).to.equal(true);
        });

        it("serves a second request from storage without resizing", async () => {
            const first = await get("/640x480/uploads/photo.jpg");
            // A resize would now fail. Behind the gate: replacing an original through S3 deletes its variants.
            await s3.backend.send(
                new PutObjectCommand({
                    Bucket: TEST_BUCKET,
                    Key: "uploads/photo.jpg",
                    Body: Buffer.from("original gone bad"),
                    ContentType: "image/jpeg",
                }),
            );
            const second = await get("/640x480/uploads/photo.jpg");
            expect(second.statusCode).to.equal(200);
            expect(second.headers["x-variant"]).to.equal("stored");
            expect(second.body).to.equal(first.body);
            expect(JSON.parse(logs[1]).resized).to.equal(false);
            await store("uploads/photo.jpg", await jpegBytes(800, 600), "image/jpeg");
        });

        it("answers HEAD with GET's status and headers, an empty body and no content-length the empty body contradicts", async () => {
            const head = await handler()(httpEvent("HEAD", "/300x300/uploads/alpha.png"));
            const get = await handler()(httpEvent("GET", "/300x300/uploads/alpha.png"));
            expect(head.statusCode).to.equal(200);
            expect(head.body).to.equal("");
            expect(head.isBase64Encoded).to.not.equal(true);
            expect(head.headers).to.not.have.property("content-length");
            expect({ ...head.headers, "x-variant": "" }).to.deep.equal({ ...get.headers, "x-variant": "" });
            expect(head.headers["content-type"]).to.equal("image/png");
            const headOfError = await handler()(httpEvent("HEAD", "/300x300/uploads/nobody.png"));
            expect([headOfError.statusCode, headOfError.body]).to.deep.equal([404, ""]);
        });

        it("stores a result too big to return and redirects, uncached, to the same URL", async () => {
            const bigSide = 2400;
            const noisy = await sharp({
                create: {
                    width: bigSide,
                    height: bigSide,
                    channels: 3,
                    background: "#000",
                    noise: { type: "gaussian", mean: 128, sigma: 60 },
                },
            })
                .png()
                .toBuffer();
            await store("uploads/noise.png", noisy, "image/png");
            const result = await get("/2048x2048/uploads/noise.png", { allowedResolutions: [] });
            expect(result.statusCode).to.equal(307);
            expect(result.headers.location).to.equal("/2048x2048/uploads/noise.png");
            expect(result.headers["cache-control"]).to.equal("no-store");
            const stored = await s3.s3.send(
                new GetObjectCommand({ Bucket: TEST_BUCKET, Key: "2048x2048/uploads/noise.png" }),
            );
            expect((stored.ContentLength! * 4) / 3).to.be.greaterThan(5_500_000);
            const head = await handler({ allowedResolutions: [] })(httpEvent("HEAD", "/2048x2048/uploads/noise.png"));
            expect([head.statusCode, head.headers.location, head.body]).to.deep.equal([
                307,
                "/2048x2048/uploads/noise.png",
                "",
            ]);
            // privateDelivery: a path would drop the viewer's signed query string; "#" keeps the whole URL (RFC 3986
            // 5.2.2), so the browser asks again with the same signature and gets the stored variant.
            const signed = await get("/2048x2048/uploads/noise.png", { allowedResolutions: [], privateDelivery: true });
            expect([signed.statusCode, signed.headers.location]).to.deep.equal([307, "#"]);
            expect(
                new URL(
                    signed.headers.location,
                    "https://d9.cloudfront.net/2048x2048/uploads/noise.png?Expires=1&Signature=s&Key-Pair-Id=K",
                ).href,
            ).to.equal("https://d9.cloudfront.net/2048x2048/uploads/noise.png?Expires=1&Signature=s&Key-Pair-Id=K#");
        });
    });

    describe("the seed-article flow: GET /resize?key=", () => {
        it("resizes if needed and answers 307 to the CDN URL", async () => {
            const result = await handler()(httpEvent("GET", "/resize?key=300x300/uploads/wide.webp"));
            expect(result.statusCode).to.equal(307);
            expect(result.headers.location).to.equal("https://cdn.example.com/300x300/uploads/wide.webp");
            expect(result.headers["cache-control"]).to.equal("no-store");
            const stored = await s3.s3.send(
                new GetObjectCommand({ Bucket: TEST_BUCKET, Key: "300x300/uploads/wide.webp" }),
            );
            expect(stored.ContentType).to.equal("image/webp");
        });

        it("takes the CDN URL from the API stage variable when present", async () => {
            const event = {
                ...httpEvent("GET", "/resize?key=300x300/uploads/wide.webp"),
                stageVariables: { cdnUrl: "https://d9.cloudfront.net" },
            };
            const result = await handler({ cdnUrl: undefined })(event);
            expect(result.headers.location).to.equal("https://d9.cloudfront.net/300x300/uploads/wide.webp");
        });

        it("answers AccessDenied from storage as a logged 500 misconfigured, never as a missing image (404)", async () => {
            // What S3 says when the role, the bucket policy or the KMS key policy refuses: not "no such key".
            const refusing = {
                send: async () => {
                    throw Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
                },
            };
            const result = await createResizeHandler({
                s3: refusing as never,
                settings: settings(),
                log: (line) => logs.push(line),
            })(httpEvent("GET", "/300x300/uploads/photo.jpg"));
            expect(errorOf(result)).to.deep.equal({ status: 500, code: "misconfigured", cache: "no-store" });
            expect(result.body).to.not.include("Access Denied");
            const lines = logs.map((line) => JSON.parse(line));
            expect(lines.some((line) => line.level === "ERROR" && line.error === "AccessDenied")).to.equal(true);
            expect(lines.at(-1)).to.include({ level: "ERROR", status: 500, outcome: "misconfigured" });
        });

        it("answers the same 400/403/404 as the CDN path", async () => {
            expect(errorOf(await handler()(httpEvent("GET", "/resize")))).to.include({ status: 400 });
            expect(errorOf(await handler()(httpEvent("GET", "/resize?key=301x300/uploads/wide.webp")))).to.include({
                status: 403,
            });
            expect(errorOf(await handler()(httpEvent("GET", "/resize?key=300x300/uploads/missing.webp")))).to.include({
                status: 404,
            });
        });
    });

    describe("bad requests: JSON errors that CloudFront never caches", () => {
        const cases: Array<[string, string, number, string, Partial<ResizeSettings>?]> = [
            ["a path without a size", "/uploads/photo.jpg", 400, "invalid_key"],
            ["a size that is not \\d+x\\d+", "/300by300/uploads/photo.jpg", 400, "invalid_key"],
            ["a size of neither width nor height", "/0x0/uploads/photo.jpg", 400, "invalid_key"],
            ["a width alone with a leading zero", "/0640x0/uploads/photo.jpg", 400, "invalid_key"],
            ["a width alone not in allowedResolutions", "/640x0/uploads/photo.jpg", 403, "size_not_allowed"],
            ["a leading-zero size", "/0300x300/uploads/photo.jpg", 400, "invalid_key"],
            ["a key outside uploads/", "/300x300/private/photo.jpg", 400, "invalid_key"],
            ["a .. segment", "/300x300/uploads/../secret.jpg", 400, "invalid_key"],
            ["an encoded .. segment", "/300x300/uploads/%2E%2E/photo.jpg", 400, "invalid_key"],
            ["a variant of a variant", "/300x300/640x480/uploads/photo.jpg", 400, "invalid_key"],
            ["a non-image extension", "/300x300/uploads/photo.exe", 400, "invalid_key"],
            ["broken percent-encoding", "/300x300/uploads/%E0%A4%A.jpg", 400, "invalid_key"],
            ["a size not in allowedResolutions", "/301x300/uploads/photo.jpg", 403, "size_not_allowed"],
            [
                "with an empty list, a size above maxResizeDimension",
                "/2049x100/uploads/photo.jpg",
                403,
                "size_not_allowed",
                { allowedResolutions: [] },
            ],
            ["a missing original", "/300x300/uploads/nobody.jpg", 404, "original_not_found"],
            ["bytes that are not an image", "/300x300/uploads/not-an-image.jpg", 422, "unprocessable_image"],
            [
                "an original above limitInputPixels",
                "/300x300/uploads/limit.jpg",
                422,
                "unprocessable_image",
                { limitInputPixels: 800 * 600 - 1 },
            ],
            [
                "an animation above limitInputPixels counted over all frames",
                "/80x60/uploads/limit.gif",
                422,
                "unprocessable_image",
                { allowedResolutions: ["80x60"], limitInputPixels: 160 * 120 * 2 },
            ],
        ];
        for (const [what, path, status, code, overrides] of cases) {
            it(`${what} → ${status} ${code}, no-store`, async () => {
                const result = await get(path, overrides);
                expect(errorOf(result)).to.deep.equal({ status, code, cache: "no-store" });
                expect(result.headers["content-type"]).to.match(/^application\/json/);
            });
        }

        it("allows any size up to maxResizeDimension when the list is empty", async () => {
            const { metadata } = await imageOf(await get("/123x77/uploads/photo.jpg", { allowedResolutions: [] }));
            expect([metadata.width, metadata.height]).to.deep.equal([123, 77]);
        });

        it("answers an S3 failure with an opaque 500 and leaves no read behind", async () => {
            const failingS3 = {
                send: async (command: { input: { Key: string } }) => {
                    if (command.input.Key.startsWith("300x300/"))
                        throw Object.assign(new Error("S3 is down"), { name: "ServiceUnavailable" });
                    await new Promise((resolve) => setTimeout(resolve, 30));
                    throw Object.assign(new Error("S3 is down"), { name: "ServiceUnavailable" }); // the original's read fails later
                },
            };
            const broken = createResizeHandler({
                s3: failingS3 as never,
                settings: settings(),
                log: (line) => logs.push(line),
            });
            const result = await broken(httpEvent("GET", "/300x300/uploads/photo.jpg"));
            expect(errorOf(result)).to.deep.equal({ status: 500, code: "internal_error", cache: "no-store" });
            expect(result.body).to.not.include("S3 is down");
            expect(logs.some((line) => JSON.parse(line).error === "S3 is down")).to.equal(true);
            await new Promise((resolve) => setTimeout(resolve, 60)); // an unhandled rejection would surface here
        });

        it("refuses methods other than GET and HEAD", async () => {
            expect(errorOf(await handler()(httpEvent("POST", "/300x300/uploads/photo.jpg")))).to.include({
                status: 405,
            });
        });

        it("stores nothing for a refused request", async () => {
            await get("/301x300/uploads/photo.jpg");
            const missing = await s3.s3
                .send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: "301x300/uploads/photo.jpg" }))
                .catch((e) => e.name);
            expect(missing).to.equal("NoSuchKey");
        });

        it("never echoes the key unescaped", async () => {
            const result = await get("/300x300/uploads/%3Cscript%3E.jpg/../x");
            expect(result.body).to.not.match(/[<>]/);
        });
    });

    it("targetBox: cover/contain shrink the requested box as a whole, inside never enlarges", () => {
        expect(targetBox({ width: 800, height: 600 }, { width: 1280, height: 720 }, "cover")).to.deep.equal({
            width: 800,
            height: 450,
            withoutEnlargement: false,
        });
        expect(targetBox({ width: 800, height: 600 }, { width: 300, height: 300 }, "contain")).to.deep.equal({
            width: 300,
            height: 300,
            withoutEnlargement: false,
        });
        expect(targetBox({ width: 100, height: 80 }, { width: 640, height: 480 }, "cover")).to.deep.equal({
            width: 100,
            height: 75,
            withoutEnlargement: false,
        });
        expect(targetBox({ width: 100, height: 80 }, { width: 640, height: 480 }, "inside")).to.deep.equal({
            width: 640,
            height: 480,
            withoutEnlargement: true,
        });
    });
});
