// Issue 27 in local mode (local/server.ts, in-process, the default stack config): photo-like JPEGs uploaded
// through the API as phones and editors save them; no stored original is larger than its upload, and a `*/*`
// 300x300 variant (the JPEG every client without AVIF/WebP gets) has fewer bytes than libvips' default JPEG of the
// same original at the same quality (resizeQuality), at no lower PSNR. A 12-bit JPEG is rejected as
// unsupported_image. (The corpus photos are measured by the bench, npm run bench, not here.)
import { expect } from "chai";
import sharp from "sharp";
import { photoJpeg, psnr } from "../support/images";
import { jpeg12Bit } from "../support/jpeg12";
import { startTestPipeline, uploadAndCheck } from "../support/localPipeline";

const RESIZE_QUALITY = 80; // the default stack's resizeQuality

describe("JPEG originals and variants in local mode (issue 27)", function () {
    this.timeout(120_000);
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    before(async () => {
        pipeline = await startTestPipeline();
    });
    after(() => pipeline?.close());

    const upload = async (body: Buffer) => {
        const { signed, status } = await uploadAndCheck(pipeline.url, "image/jpeg", body);
        return { key: signed.key, status };
    };
    const cdn = async (path: string, accept = "*/*") => {
        const response = await fetch(`${pipeline.url}/cdn/${path}`, { headers: { accept } });
        expect(response.status, path).to.equal(200);
        return Buffer.from(await response.arrayBuffer());
    };

    const UPLOADS = [
        { name: "phone photo, progressive q98 with GPS", width: 2000, height: 1500, quality: 98, progressive: true },
        { name: "small edited photo, progressive q75", width: 1600, height: 1200, quality: 75, progressive: true },
        { name: "rotated phone photo, baseline q90 with GPS", width: 1200, height: 900, quality: 90, orientation: 6 },
        { name: "web photo, progressive q85", width: 1200, height: 800, quality: 85, progressive: true },
    ];

    for (const [index, { name, ...options }] of UPLOADS.entries()) {
        it(`${name}: the stored original is no larger than the upload; its */* 300x300 variant beats libvips' default JPEG`, async () => {
            const body = await photoJpeg(options.width, options.height, { ...options, gps: true, seed: index + 1 });
            const { key, status } = await upload(body);
            expect(status.status).to.equal("ready");
            const original = await cdn(key);
            expect(original.length, "stored original vs upload").to.be.at.most(body.length);
            expect(status.bytes).to.equal(original.length);

            const variant = await cdn(`300x300/${key}`);
            expect((await sharp(variant).metadata()).format).to.equal("jpeg");
            const resized = () =>
                sharp(original).autoOrient().resize({ width: 300, height: 300, fit: "cover" }).keepIccProfile();
            const standard = await resized().jpeg({ quality: RESIZE_QUALITY }).toBuffer();
            expect(variant.length, "variant vs libvips' default JPEG").to.be.below(standard.length);
            const reference = await resized().raw().toBuffer();
            expect(await psnr(reference, variant)).to.be.above((await psnr(reference, standard)) - 0.5);
        });
    }

    it("a 12-bit JPEG is rejected with unsupported_image, its message naming what is unsupported", async () => {
        const { key, status } = await upload(jpeg12Bit(2, 2, [100, 4000, 2048, 3000]));
        expect(status.status).to.equal("rejected");
        expect(status.error.code).to.equal("unsupported_image");
        expect(status.error.message).to.match(/12-bit JPEG/);
        expect((await fetch(`${pipeline.url}/cdn/${key}`)).status, "nothing stored").to.be.oneOf([403, 404]);
    });
});
