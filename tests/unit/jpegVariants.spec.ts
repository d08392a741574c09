// Issue 27, the Resizer's lossy encoders (functions/resize/encoderSettings.ts, renderVariant.ts): JPEG variants
// with mozjpeg's quantisation table 3, baseline below 640x480 and progressive from it, in fewer bytes than
// libvips' default JPEG at the same quality and no worse; AVIF's effort by size.
import { expect } from "chai";
import sharp from "sharp";
import { avifOptions, jpegOptions, webpOptions } from "../../functions/resize/encoderSettings";
import { renderVariant } from "../../functions/resize/renderVariant";
import { quantisationTables } from "../../functions/ingest/jpegQuality";
import { photoJpeg, psnr } from "../support/images";

const QUALITY = 80;
const SIZES = [
    [300, 300],
    [640, 480],
    [1280, 720],
] as const;
const render = (original: Buffer, width: number, height: number, format?: "avif" | "webp") =>
    renderVariant(original, {
        width,
        height,
        fit: "cover",
        quality: QUALITY,
        limitInputPixels: 50_000_000,
        ...(format ? { format } : {}),
    });
/** The same resize as renderVariant's, then any encoder. */
const resized = (original: Buffer, width: number, height: number) =>
    sharp(original, { failOn: "error" }).autoOrient().resize({ width, height, fit: "cover" }).keepIccProfile();
describe("JPEG variant encoder settings (functions/resize/encoderSettings.ts)", function () {
    this.timeout(30_000);
    let photo: Buffer;
    before(async () => {
        photo = await photoJpeg(2400, 1600, { quality: 92 });
    });

    it("the settings: quality resizeQuality, mozjpeg's table 3, baseline below 640x480 pixels, progressive from it", () => {
        expect(jpegOptions(80, 300 * 300)).to.deep.equal({ quality: 80, quantisationTable: 3, progressive: false });
        expect(jpegOptions(80, 640 * 480 - 1).progressive).to.equal(false);
        expect(jpegOptions(80, 640 * 480)).to.deep.equal({ quality: 80, quantisationTable: 3, progressive: true });
        expect(jpegOptions(65, 1280 * 720)).to.deep.equal({ quality: 65, quantisationTable: 3, progressive: true });
    });

    for (const [width, height] of SIZES) {
        it(`${width}x${height}: renderVariant encodes with them (table 3's quantisation tables, ${width * height >= 640 * 480 ? "progressive" : "baseline"})`, async () => {
            const variant = await render(photo, width, height);
            expect(variant.contentType).to.equal("image/jpeg");
            const expected = await resized(photo, width, height)
                .jpeg(jpegOptions(QUALITY, width * height))
                .toBuffer();
            expect(variant.bytes.equals(expected), "exactly the configured encoder's bytes").to.equal(true);
            const standard = await resized(photo, width, height).jpeg({ quality: QUALITY }).toBuffer();
            const tables = quantisationTables(variant.bytes)!;
            expect(tables.get(0)!.entries).to.not.deep.equal(quantisationTables(standard)!.get(0)!.entries);
            expect((await sharp(variant.bytes).metadata()).isProgressive).to.equal(width * height >= 640 * 480);
        });

        it(`${width}x${height}: fewer bytes than libvips' default JPEG at the same quality, with no lower PSNR (±0.5 dB)`, async () => {
            const reference = await resized(photo, width, height).raw().toBuffer();
            const variant = (await render(photo, width, height)).bytes;
            const standard = await resized(photo, width, height).jpeg({ quality: QUALITY }).toBuffer();
            expect(variant.length).to.be.below(standard.length);
            expect(await psnr(reference, variant)).to.be.above((await psnr(reference, standard)) - 0.5);
        });
    }

    it("AVIF: effort 1 below 640x480, effort 0 (libaom's fastest) from it; WebP method 4, 2 from 1280x720: a first hit stays within 3x today's JPEG", async () => {
        expect(avifOptions(80, 300 * 300)).to.deep.equal({ quality: 64, effort: 1, chromaSubsampling: "4:4:4" });
        expect(avifOptions(80, 640 * 480 - 1).effort).to.equal(1);
        expect(avifOptions(80, 640 * 480)).to.deep.equal({ quality: 64, effort: 0, chromaSubsampling: "4:4:4" });
        expect(avifOptions(80, 1280 * 720).effort).to.equal(0);
        expect(webpOptions(80, 640 * 480)).to.deep.equal({ quality: 86, effort: 4 });
        expect(webpOptions(80, 1280 * 720 - 1).effort).to.equal(4);
        expect(webpOptions(80, 1280 * 720)).to.deep.equal({ quality: 86, effort: 2 });
        for (const [width, height] of [
            [640, 480],
            [1280, 720],
        ]) {
            const variant = await render(photo, width, height, "avif");
            const expected = await resized(photo, width, height)
                .avif(avifOptions(QUALITY, width * height))
                .toBuffer();
            expect(variant.bytes.equals(expected), `${width}x${height}: the configured AVIF encoder`).to.equal(true);
            const webp = await render(photo, width, height, "webp");
            const expectedWebp = await resized(photo, width, height)
                .webp(webpOptions(QUALITY, width * height))
                .toBuffer();
            expect(webp.bytes.equals(expectedWebp), `${width}x${height}: the configured WebP encoder`).to.equal(true);
        }
    });
});
