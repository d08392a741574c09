// The Resizer's width-only and height-only sizes ("<W>x0", "0x<H>": the other side keeps the aspect ratio, never
// larger than the original) and where `cover` crops (config resizeGravity: centre, or libvips' smartcrop attention
// and entropy), on real images generated here, through the handler against the loopback S3.
import { expect } from "chai";
import sharp from "sharp";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createResizeHandler } from "../../functions/resize/resize";
import { renderVariant, targetBox } from "../../functions/resize/renderVariant";
import { ResizeSettings } from "../../functions/resize/settings";
import { httpEvent } from "../support/events";
import {
    animated,
    jpegWithOrientation6,
    photoJpeg,
    pngWithAlpha,
    sceneWithSubject,
    subjectPixels,
} from "../support/images";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";
import { testResizeSettings } from "../support/resizeSettings";
import { imageOf } from "../support/resizeAnswer";

describe("responsive sizes and smart crop (functions/resize/renderVariant.ts, through the resize handler)", () => {
    let s3: TestS3;
    const handler = (overrides: Partial<ResizeSettings> = {}) =>
        createResizeHandler({ s3: s3.s3, settings: testResizeSettings(overrides), log: () => undefined });
    const store = (key: string, body: Buffer, contentType: string) =>
        s3.s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key, Body: body, ContentType: contentType }));
    const WIDTHS = ["640x0", "750x0", "828x0", "1080x0", "1200x0", "1920x0", "2048x0"];
    const sizes = { allowedResolutions: [...WIDTHS, "0x480", "0x200", "300x300"] };

    before(async () => {
        s3 = await startTestS3();
        await store("uploads/photo.jpg", await photoJpeg(2400, 1600, { quality: 85 }), "image/jpeg");
        await store("uploads/odd.jpg", await photoJpeg(1999, 1333, { quality: 85, seed: 2 }), "image/jpeg");
        await store("uploads/small.jpg", await photoJpeg(500, 300, { quality: 85 }), "image/jpeg");
        await store("uploads/alpha.png", await pngWithAlpha(900, 600), "image/png");
        await store("uploads/rotated.jpg", await jpegWithOrientation6(1200, 800), "image/jpeg");
        await store("uploads/anim.gif", await animated("gif", 800, 400, 3), "image/gif");
        // One original per gravity: a variant, once stored, is served from storage whatever the settings.
        const corner = await sceneWithSubject(1200, 800, 130, 400, 110);
        for (const gravity of ["centre", "attention", "entropy"])
            await store(`uploads/corner-${gravity}.jpg`, corner, "image/jpeg");
    });
    after(() => s3.close());

    describe("<W>x0 and 0x<H>: one side exact, the other keeps the aspect ratio", () => {
        for (const size of WIDTHS) {
            const width = Number(size.split("x")[0]);
            it(`${size} of a 2400x1600 photo is exactly ${width} wide and ${Math.round((width * 2) / 3)} high`, async () => {
                const { metadata } = await imageOf(
                    await handler(sizes)(httpEvent("GET", `/${size}/uploads/photo.jpg`)),
                );
                expect([metadata.format, metadata.width, metadata.height]).to.deep.equal([
                    "jpeg",
                    width,
                    Math.round((width * 2) / 3),
                ]);
            });
        }

        it("an odd aspect ratio (1999x1333) keeps its ratio within one pixel's rounding", async () => {
            for (const size of ["640x0", "1080x0", "0x480"]) {
                const { metadata } = await imageOf(await handler(sizes)(httpEvent("GET", `/${size}/uploads/odd.jpg`)));
                const [w, h] = size.split("x").map(Number);
                if (w > 0) expect(metadata.width, size).to.equal(w);
                if (h > 0) expect(metadata.height, size).to.equal(h);
                expect(Math.abs(metadata.width! / metadata.height! - 1999 / 1333), size).to.be.below(
                    1 / Math.min(metadata.width!, metadata.height!),
                );
            }
        });

        it("0x480 is exactly 480 high, its width from the ratio", async () => {
            const { metadata } = await imageOf(await handler(sizes)(httpEvent("GET", "/0x480/uploads/photo.jpg")));
            expect([metadata.width, metadata.height]).to.deep.equal([720, 480]);
        });

        it("never upscales: every width over a 500x300 original's gives the original's own size", async () => {
            for (const size of ["640x0", "1920x0", "0x480"]) {
                const { metadata } = await imageOf(
                    await handler(sizes)(httpEvent("GET", `/${size}/uploads/small.jpg`)),
                );
                expect([metadata.width, metadata.height], size).to.deep.equal([500, 300]);
            }
            // A width below the original's still shrinks it.
            const { metadata } = await imageOf(await handler(sizes)(httpEvent("GET", "/0x200/uploads/small.jpg")));
            expect([metadata.width, metadata.height]).to.deep.equal([333, 200]);
        });

        it("ignores the fit and gravity: no crop, no letterbox, whatever resizeFit and resizeGravity say", async () => {
            for (const fit of ["cover", "contain", "inside"] as const) {
                const settings = { ...sizes, fit, gravity: "attention" as const };
                const { metadata } = await imageOf(
                    await handler(settings)(httpEvent("GET", "/640x0/uploads/alpha.png")),
                );
                expect([metadata.format, metadata.width, metadata.height, metadata.hasAlpha], fit).to.deep.equal([
                    "png",
                    640,
                    427,
                    true,
                ]);
            }
        });

        it("measures the width as displayed: an EXIF-rotated 1200x800 (shown 800x1200) at 640x0 is 640x960", async () => {
            const { metadata } = await imageOf(await handler(sizes)(httpEvent("GET", "/640x0/uploads/rotated.jpg")));
            expect([metadata.width, metadata.height, metadata.orientation]).to.deep.equal([640, 960, undefined]);
        });

        it("keeps every frame of an animation, each frame 640 wide with its ratio", async () => {
            const { metadata } = await imageOf(await handler(sizes)(httpEvent("GET", "/640x0/uploads/anim.gif")));
            expect([metadata.format, metadata.pages, metadata.width, metadata.pageHeight]).to.deep.equal([
                "gif",
                3,
                640,
                320,
            ]);
        });

        it("renders the format keys of a width-only size (what the edge function picks by Accept) at the same width", async () => {
            const withFormats = { ...sizes, formats: ["avif" as const, "webp" as const] };
            for (const [format, size, answered, expected] of [
                ["avif", "640x0", "avif", [640, 427]],
                ["webp", "640x0", "webp", [640, 427]],
                ["webp", "0x480", "webp", [720, 480]],
                // Over 1280x720 pixels a first hit's AVIF is answered as WebP (AVIF_MAX_PIXELS), by the pixels the
                // width alone gives: 1200x800 is over, 1080x720 is not.
                ["avif", "1080x0", "avif", [1080, 720]],
                ["avif", "1200x0", "webp", [1200, 800]],
            ] as const) {
                const { metadata } = await imageOf(
                    await handler(withFormats)(httpEvent("GET", `/${size}/${format}/uploads/photo.jpg`)),
                );
                expect(
                    [metadata.format === "heif" ? "avif" : metadata.format, metadata.width, metadata.height],
                    `${size}/${format}`,
                ).to.deep.equal([answered, ...expected]);
            }
        });

        it("targetBox: the given side (at most the original's), the other from the ratio, sharp told the one side", () => {
            const original = { width: 2400, height: 1600 };
            expect(targetBox(original, { width: 640, height: 0 }, "cover")).to.deep.equal({
                width: 640,
                height: 427,
                withoutEnlargement: true,
                auto: "height",
            });
            expect(targetBox(original, { width: 0, height: 480 }, "contain")).to.deep.equal({
                width: 720,
                height: 480,
                withoutEnlargement: true,
                auto: "width",
            });
            expect(targetBox(original, { width: 3840, height: 0 }, "inside")).to.deep.equal({
                width: 2400,
                height: 1600,
                withoutEnlargement: true,
                auto: "height",
            });
        });
    });

    describe("smart crop: resizeGravity for cover (sharp's position: strategy.attention / entropy)", () => {
        // A 1200x800 scene whose subject (a red disc, radius 110) sits at the left edge, centred at x=130: a 300x300
        // cover scales it to 450x300 and keeps 300 of the 450 columns. The centre keeps x 200–1000 of the original.
        let subjectInOriginal300: number;
        before(async () => {
            // The subject's pixels at the cover's scale (0.375), uncropped: what a crop that keeps it all shows.
            const original = await sceneWithSubject(1200, 800, 130, 400, 110);
            subjectInOriginal300 = await subjectPixels(await sharp(original).resize({ width: 450 }).toBuffer());
        });
        const crop = async (gravity: "centre" | "attention" | "entropy") => {
            const { bytes, metadata } = await imageOf(
                await handler({ gravity })(httpEvent("GET", `/300x300/uploads/corner-${gravity}.jpg`)),
            );
            expect([metadata.width, metadata.height]).to.deep.equal([300, 300]);
            return (await subjectPixels(bytes)) / subjectInOriginal300;
        };

        it("centre (the default) cuts the corner subject away", async () => {
            expect(await crop("centre")).to.be.below(0.2);
        });

        it("attention keeps the whole subject where centre cuts it", async () => {
            expect(await crop("attention")).to.be.above(0.95);
        });

        it("entropy keeps it too", async () => {
            expect(await crop("entropy")).to.be.above(0.95);
        });

        it("an animation crops at the centre whatever the gravity (sharp has no smartcrop for several frames)", async () => {
            for (const gravity of ["attention", "entropy"] as const) {
                const rendered = await renderVariant(await animated("gif", 400, 200, 3), {
                    width: 100,
                    height: 100,
                    fit: "cover",
                    gravity,
                    quality: 80,
                    limitInputPixels: 1e8,
                });
                const metadata = await sharp(rendered.bytes, { animated: true }).metadata();
                expect([metadata.pages, metadata.width, metadata.pageHeight], gravity).to.deep.equal([3, 100, 100]);
            }
        });

        it("contain letterboxes at the centre whatever the gravity (smartcrop only chooses what cover cuts)", async () => {
            const wide = await sharp({
                create: { width: 800, height: 400, channels: 3, background: { r: 200, g: 0, b: 0 } },
            })
                .png()
                .toBuffer();
            for (const gravity of ["centre", "attention", "entropy"] as const) {
                const rendered = await renderVariant(wide, {
                    width: 300,
                    height: 300,
                    fit: "contain",
                    gravity,
                    quality: 80,
                    limitInputPixels: 1e8,
                });
                const { data, info } = await sharp(rendered.bytes).raw().toBuffer({ resolveWithObject: true });
                const redRows = Array.from({ length: info.height }, (_, y) => y).filter(
                    (y) => data[(y * info.width + 150) * info.channels] > 150,
                );
                // 300x150 of picture between two 75-row bars.
                expect([info.width, info.height, redRows[0], redRows.at(-1)], gravity).to.deep.equal([
                    300, 300, 75, 224,
                ]);
            }
        });

        it("renderVariant crops at the centre when no gravity is given (ingest and the Resizer pass theirs)", async () => {
            const original = await sceneWithSubject(1200, 800, 130, 400, 110);
            const rendered = await renderVariant(original, {
                width: 300,
                height: 300,
                fit: "cover",
                quality: 80,
                limitInputPixels: 1e8,
            });
            expect((await subjectPixels(rendered.bytes)) / subjectInOriginal300).to.be.below(0.2);
        });
    });
});
