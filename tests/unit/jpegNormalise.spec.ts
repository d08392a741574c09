// Issue 14, JPEG normalisation: private metadata leaves a baseline JPEG without a re-encode (its pixels stay
// bit-identical, an orientation kept as a minimal EXIF block since issue 27), and a progressive upload is stored
// baseline where that does not grow it (its later resizes are 2-8x faster, docs/benchmarks.md).
import { expect } from "chai";
import sharp from "sharp";
import { checkAndClean, CheckLimits } from "../../functions/ingest/checkUpload";
import { stripJpegMetadata } from "../../functions/ingest/jpegMarkers";
import { orientationExif } from "../../functions/ingest/minimalExif";
import { exifHasGps, jpegBytes, jpegWithGps } from "../support/images";

const LIMITS: CheckLimits = {
    allowedContentTypes: ["image/jpeg", "image/png"],
    maxUploadBytes: 5_000_000,
    limitInputPixels: 50_000_000,
};
const clean = (bytes: Buffer) => checkAndClean(bytes, { contentType: "image/jpeg", keyType: "image/jpeg" }, LIMITS);

/** A JPEG segment: marker, 2-byte length (counting itself), payload (ITU-T T.81 B.1.1.4). */
const segment = (marker: number, payload: Buffer) => {
    const header = Buffer.from([0xff, marker, 0, 0]);
    header.writeUInt16BE(payload.length + 2, 2);
    return Buffer.concat([header, payload]);
};
/** The JPEG with these segments inserted right after SOI. */
const withSegments = (jpeg: Buffer, ...segments: Buffer[]) =>
    Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
const IPTC = segment(
    0xed,
    Buffer.from("Photoshop 3.0\0" + "8BIM\x04\x04\0\0\0\0\0\x0c\x1c\x02\x5a\0\x07Seoul!!", "latin1"),
);
const COMMENT = segment(0xfe, Buffer.from("shot at home, 37.5663 N 126.9779 E", "latin1"));
const APPENDED = Buffer.from("APPENDED-PREVIEW", "latin1");
const FLASHPIX = segment(0xe2, Buffer.from("FPXR\0private", "latin1"));

/** A baseline JPEG as a camera writes it, displayed as stored (orientation 1): EXIF with GPS, XMP, IPTC, a
 *  comment, an ICC profile, and an appended second image after EOI (as MPF previews are). */
async function cameraJpeg(): Promise<Buffer> {
    const jpeg = await sharp(await jpegBytes(96, 64))
        .withExif({
            IFD0: { Make: "CameraMaker", Model: "Camera 1" },
            IFD3: { GPSLatitudeRef: "N", GPSLatitude: "37/1 33/1 59/1" },
        })
        .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>')
        .withIccProfile("p3")
        .jpeg({ quality: 90, progressive: false })
        .toBuffer();
    return Buffer.concat([withSegments(jpeg, IPTC, COMMENT, FLASHPIX), await jpegBytes(16, 16), APPENDED]);
}

/** Gradients and a soft wave: photo-like, so a JPEG's quality shows in the pixel difference. */
function smoothPixels(width: number, height: number): Buffer {
    const pixels = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
            const i = (y * width + x) * 3;
            pixels[i] = (x * 255) / width;
            pixels[i + 1] = (y * 255) / height;
            pixels[i + 2] = 128 + 60 * Math.sin(x / 5) * Math.cos(y / 7);
        }
    }
    return pixels;
}

const rawPixels = (bytes: Buffer) => sharp(bytes).raw().toBuffer({ resolveWithObject: true });

describe("JPEG normalisation at ingest (functions/ingest/checkUpload.ts, jpegMarkers.ts)", () => {
    describe("a baseline JPEG with private metadata, displayed as stored: metadata removed losslessly", () => {
        it("keeps its decoded pixels bit-identical (no re-encode) and its ICC profile", async () => {
            const upload = await cameraJpeg();
            const before = await sharp(upload).metadata();
            expect(exifHasGps(before.exif), "the upload carries GPS").to.equal(true);
            expect([before.xmp, before.iptc]).to.not.include(undefined);
            expect(before.orientation).to.equal(1);

            const stored = await clean(upload);
            expect([stored.reencoded, stored.stripped]).to.deep.equal([false, true]);
            const original = await rawPixels(upload);
            const result = await rawPixels(stored.bytes);
            expect(result.info).to.deep.include({ width: 96, height: 64, channels: 3 });
            expect(result.data.equals(original.data), "decoded pixels bit-identical").to.equal(true);
            const after = await sharp(stored.bytes).metadata();
            expect(after.icc?.equals(before.icc!), "the same ICC profile").to.equal(true);
            expect(after.isProgressive).to.equal(false);
        });

        it("removes EXIF (GPS), XMP, IPTC, comments, other APPn segments and what follows EOI", async () => {
            const upload = await cameraJpeg();
            const stored = (await clean(upload)).bytes;
            const metadata = await sharp(stored).metadata();
            expect([metadata.exif, metadata.xmp, metadata.iptc]).to.deep.equal([undefined, undefined, undefined]);
            expect(metadata.comments ?? []).to.deep.equal([]);
            expect(metadata.orientation ?? 1, "displayed as stored, as the upload was").to.equal(1);
            for (const text of ["CameraMaker", "Seoul", "37.5663", "FPXR", "xmpmeta", "APPENDED-PREVIEW"]) {
                expect(stored.includes(Buffer.from(text, "latin1")), text).to.equal(false);
            }
            expect(stored.subarray(-2).equals(Buffer.from([0xff, 0xd9])), "ends at EOI").to.equal(true);
            expect(stored.length).to.be.below(upload.length);
        });

        it("also strips what sharp's metadata does not report: a comment, an appended image", async () => {
            const plain = await jpegBytes(48, 32);
            const upload = Buffer.concat([withSegments(plain, COMMENT), APPENDED]);
            const metadata = await sharp(upload).metadata();
            expect([metadata.exif, metadata.xmp, metadata.iptc, metadata.comments]).to.deep.equal([
                undefined,
                undefined,
                undefined,
                undefined,
            ]);
            const stored = await clean(upload);
            expect([stored.reencoded, stored.stripped]).to.deep.equal([false, true]);
            expect(stored.bytes.equals(plain), "exactly the JPEG without the comment and the tail").to.equal(true);
        });

        it("is stable: a stored original ingested again comes out byte-identical", async () => {
            const once = (await clean(await cameraJpeg())).bytes;
            const twice = await clean(once);
            expect(twice.reencoded).to.equal(false);
            expect(twice.bytes.equals(once)).to.equal(true);
        });
    });

    describe("a progressive JPEG is re-encoded as baseline", () => {
        it("a progressive JPEG with GPS is stored baseline, without GPS, close to the upload", async () => {
            const upload = await sharp(smoothPixels(96, 64), { raw: { width: 96, height: 64, channels: 3 } })
                .withExif({ IFD3: { GPSLatitudeRef: "N", GPSLatitude: "37/1 33/1 59/1" } })
                .jpeg({ quality: 92, progressive: true })
                .toBuffer();
            const before = await sharp(upload).metadata();
            expect([before.isProgressive, exifHasGps(before.exif)]).to.deep.equal([true, true]);
            const stored = await clean(upload);
            expect([stored.reencoded, stored.stripped]).to.deep.equal([true, false]);
            const after = await sharp(stored.bytes).metadata();
            expect([after.isProgressive, after.exif, after.width, after.height]).to.deep.equal([
                false,
                undefined,
                96,
                64,
            ]);
            const [a, b] = [await rawPixels(upload), await rawPixels(stored.bytes)];
            let difference = 0;
            for (let i = 0; i < a.data.length; i++) difference += Math.abs(a.data[i] - b.data[i]);
            // Mean absolute difference per channel value: 0.64 at q90-95, 1.44 at q85, 2.5 at q50.
            expect(difference / a.data.length).to.be.below(1);
        });
    });

    describe("a baseline JPEG with an orientation to apply: metadata removed losslessly, orientation kept (issue 27)", () => {
        it("keeps its pixels bit-identical and only a minimal EXIF block: orientation 6, no GPS or camera", async () => {
            const upload = await jpegWithGps(60, 40);
            expect((await sharp(upload).metadata()).orientation).to.equal(6);
            const stored = await clean(upload);
            // Displayed 40×60, as before; stored 60×40 with the tag that turns it.
            expect([stored.reencoded, stored.stripped, stored.width, stored.height]).to.deep.equal([
                false,
                true,
                40,
                60,
            ]);
            const metadata = await sharp(stored.bytes).metadata();
            expect([metadata.width, metadata.height, metadata.orientation]).to.deep.equal([60, 40, 6]);
            expect(metadata.exif?.equals(orientationExif(6)), "EXIF is the orientation tag alone").to.equal(true);
            expect(exifHasGps(metadata.exif)).to.equal(false);
            expect(stored.bytes.includes(Buffer.from("PhoneMaker", "latin1"))).to.equal(false);
            const [a, b] = [await rawPixels(upload), await rawPixels(stored.bytes)];
            expect(b.data.equals(a.data), "decoded pixels bit-identical").to.equal(true);
            expect(stored.bytes.length).to.be.below(upload.length);
        });
    });

    describe("stripJpegMetadata (byte-level marker surgery)", () => {
        it("keeps JFIF without its thumbnail, ICC profile and Adobe segments; copies fill bytes before EOI", async () => {
            const jpeg = await jpegBytes(32, 32);
            const thumbnail = Buffer.alloc(2 * 2 * 3, 0x7f);
            const jfifWithThumbnail = segment(
                0xe0,
                Buffer.concat([Buffer.from("JFIF\0\x01\x02\0\0\x01\0\x01\x02\x02", "latin1"), thumbnail]),
            );
            const adobe = segment(0xee, Buffer.from("Adobe\0\x64\0\0\0\0\x01", "latin1"));
            const icc = segment(0xe2, Buffer.from("ICC_PROFILE\0\x01\x01fake", "latin1"));
            const bytes = withSegments(jpeg, jfifWithThumbnail, adobe, icc);
            const padded = Buffer.concat([bytes.subarray(0, -2), Buffer.from([0xff, 0xff, 0xff, 0xd9])]);
            const stripped = stripJpegMetadata(padded)!;
            const jfifKept = segment(0xe0, Buffer.from("JFIF\0\x01\x02\0\0\x01\0\x01\0\0", "latin1"));
            expect(stripped.subarray(2, 2 + jfifKept.length).equals(jfifKept), "JFIF, no thumbnail").to.equal(true);
            expect(stripped.includes(adobe)).to.equal(true);
            expect(stripped.includes(icc)).to.equal(true);
            expect(stripped.includes(thumbnail)).to.equal(false);
            const original = jpeg.subarray(jpeg.indexOf(Buffer.from([0xff, 0xda])), -2);
            expect(stripped.includes(original), "scan header and entropy-coded data copied").to.equal(true);
            expect(stripped.subarray(-4).equals(Buffer.from([0xff, 0xff, 0xff, 0xd9]))).to.equal(true);
        });

        it("answers undefined for what is not a plain JPEG stream (the upload is then re-encoded)", async () => {
            const jpeg = await jpegBytes(32, 32);
            expect(stripJpegMetadata(Buffer.from("not a jpeg"))).to.equal(undefined);
            expect(stripJpegMetadata(jpeg.subarray(0, -2)), "no EOI").to.equal(undefined);
            const badLength = Buffer.from(jpeg);
            badLength.writeUInt16BE(1, 4); // the first segment's length below its own 2 bytes
            expect(stripJpegMetadata(badLength)).to.equal(undefined);
            const overrun = withSegments(jpeg, Buffer.from([0xff, 0xe1, 0xff, 0xff, 0, 0]));
            expect(stripJpegMetadata(overrun.subarray(0, 40)), "a segment longer than the file").to.equal(undefined);
        });
    });
});
