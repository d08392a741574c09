// Issue 27, the original ingest stores (functions/ingest/cleanJpeg.ts, jpegQuality.ts, minimalExif.ts,
// pngChunks.ts, webpChunks.ts, jpegFrame.ts): a JPEG re-encode takes the upload's own quality (estimated from its quantisation
// tables, capped at 95), the stored original never has more bytes than the upload (a PNG or WebP loses its
// metadata chunks losslessly), and a well-formed JPEG that libvips cannot decode is refused as unsupported, not as corrupt.
import { expect } from "chai";
import sharp from "sharp";
import { crc32 } from "zlib";
import { photoLike } from "../../bench/corpus";
import { checkAndClean, CheckLimits, UploadRefused } from "../../functions/ingest/checkUpload";
import { JPEG_REENCODE_QUALITY } from "../../functions/ingest/cleanJpeg";
import { jpegFrame, unsupportedJpegFeature } from "../../functions/ingest/jpegFrame";
import { estimateJpegQuality, quantisationTables } from "../../functions/ingest/jpegQuality";
import { stripPngMetadata } from "../../functions/ingest/pngChunks";
import { orientationExif } from "../../functions/ingest/minimalExif";
import { exifHasGps, jpegBytes, photoJpeg, pngBytes } from "../support/images";
import { jpeg12Bit } from "../support/jpeg12";

const LIMITS: CheckLimits = {
    allowedContentTypes: ["image/jpeg", "image/png"],
    maxUploadBytes: 50_000_000,
    limitInputPixels: 50_000_000,
};
const clean = (bytes: Buffer) => checkAndClean(bytes, { contentType: "image/jpeg", keyType: "image/jpeg" }, LIMITS);

describe("the quality of a JPEG, estimated from its quantisation tables (functions/ingest/jpegQuality.ts)", () => {
    const QUALITIES = [1, 5, 10, 20, 25, 40, 50, 60, 70, 75, 80, 85, 90, 92, 95, 98, 100];
    for (const [name, options] of [
        ["colour 4:2:0 (luminance and chrominance tables)", { chromaSubsampling: "4:2:0" }],
        ["colour 4:4:4", { chromaSubsampling: "4:4:4" }],
        ["progressive", { progressive: true }],
    ] as const) {
        it(`a JPEG saved at quality q (IJG's tables) is estimated within ±3 of q: ${name}`, async () => {
            for (const quality of QUALITIES) {
                const jpeg = await photoJpeg(64, 48, { quality, ...options });
                expect(estimateJpegQuality(jpeg), `q${quality}`).to.be.closeTo(quality, 3);
            }
        });
    }

    it("a greyscale JPEG (its luminance table alone) is estimated within ±3", async () => {
        for (const quality of QUALITIES) {
            const grey = await sharp(await pngBytes(64, 48))
                .toColourspace("b-w")
                .jpeg({ quality })
                .toBuffer();
            expect((await sharp(grey).metadata()).channels).to.equal(1);
            expect(estimateJpegQuality(grey), `q${quality}`).to.be.closeTo(quality, 3);
        }
    });

    it("reads the tables (DQT, zig-zag order) as libjpeg scales T.81's K.1 and K.2: quality 50 is the tables themselves", async () => {
        const tables = quantisationTables(await photoJpeg(64, 48, { quality: 50 }))!;
        // Table K.1's first row and K.2's, in natural order.
        expect(tables.get(0)!.entries.slice(0, 8)).to.deep.equal([16, 11, 10, 16, 24, 40, 51, 61]);
        expect(tables.get(1)!.entries.slice(0, 8)).to.deep.equal([17, 18, 24, 47, 99, 99, 99, 99]);
    });

    it("answers undefined for what has no readable frame or tables", () => {
        expect(estimateJpegQuality(Buffer.from("not a jpeg"))).to.equal(undefined);
        expect(estimateJpegQuality(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).to.equal(undefined);
    });
});

describe("the stored JPEG original never has more bytes than the upload (functions/ingest/cleanJpeg.ts)", () => {
    it("a progressive upload is re-encoded baseline at its own quality where that is smaller", async () => {
        const upload = await photoJpeg(400, 300, { quality: 40, progressive: true, gps: true });
        const stored = await clean(upload);
        expect(stored.reencoded).to.equal(true);
        const metadata = await sharp(stored.bytes).metadata();
        expect([metadata.isProgressive, metadata.exif]).to.deep.equal([false, undefined]);
        expect(estimateJpegQuality(stored.bytes), "re-encoded at the upload's quality").to.be.closeTo(40, 1);
        expect(stored.bytes.length).to.be.at.most(upload.length);
    });

    it(`a camera upload above q${JPEG_REENCODE_QUALITY} is re-encoded at q${JPEG_REENCODE_QUALITY}, about half its bytes`, async () => {
        const upload = await photoJpeg(600, 400, { quality: 100, progressive: true });
        const stored = await clean(upload);
        expect(stored.reencoded).to.equal(true);
        expect(estimateJpegQuality(stored.bytes)).to.be.closeTo(JPEG_REENCODE_QUALITY, 1);
        expect(stored.bytes.length).to.be.below(upload.length * 0.75);
    });

    it("a progressive upload whose baseline re-encode would be larger is stored as it came, metadata stripped", async () => {
        const upload = await photoJpeg(1200, 800, { quality: 85, progressive: true, gps: true });
        const stored = await clean(upload);
        expect([stored.reencoded, stored.stripped]).to.deep.equal([false, true]);
        const metadata = await sharp(stored.bytes).metadata();
        expect([metadata.isProgressive, metadata.exif]).to.deep.equal([true, undefined]);
        const [a, b] = await Promise.all([upload, stored.bytes].map((bytes) => sharp(bytes).raw().toBuffer()));
        expect(b.equals(a), "pixels bit-identical").to.equal(true);
        // What a re-encode at the same quality would have been: larger.
        const reencoded = await sharp(upload).jpeg({ quality: 85, progressive: false }).toBuffer();
        expect(reencoded.length).to.be.above(stored.bytes.length);
    });

    it("a clean JPEG whose structure the strip cannot follow (bytes between segments) is stored as it came", async () => {
        const jpeg = await jpegBytes(64, 48);
        const afterFirstSegment = 4 + jpeg.readUInt16BE(4);
        const odd = Buffer.concat([
            jpeg.subarray(0, afterFirstSegment),
            Buffer.alloc(2),
            jpeg.subarray(afterFirstSegment),
        ]);
        const stored = await clean(odd);
        expect([stored.reencoded, stored.stripped]).to.deep.equal([false, false]);
        expect(stored.bytes.equals(odd)).to.equal(true);
    });

    it("over generated photos of every kind (quality, progressive, orientation, chroma, size, GPS), stored ≤ upload", async () => {
        const paths = new Set<string>();
        for (const [width, height] of [
            [320, 240],
            [1000, 700],
        ]) {
            for (const [index, quality] of [30, 75, 92, 100].entries()) {
                const chromaSubsampling = index % 2 === 0 ? "4:2:0" : "4:4:4";
                for (const progressive of [false, true]) {
                    for (const orientation of [1, 6]) {
                        const options = { quality, progressive, orientation, chromaSubsampling, gps: true } as const;
                        const upload = await photoJpeg(width, height, options);
                        const stored = await clean(upload);
                        const what = JSON.stringify({ width, ...options });
                        expect(stored.bytes.length, what).to.be.at.most(upload.length);
                        const metadata = await sharp(stored.bytes).metadata();
                        expect(exifHasGps(metadata.exif), what).to.equal(false);
                        const kind = metadata.isProgressive ? "kept" : "baseline";
                        paths.add(
                            `${progressive ? "progressive" : "baseline"} → ${stored.reencoded ? "re-encoded" : kind}`,
                        );
                    }
                }
            }
        }
        // Every path was taken, so the rule was tested where it decides.
        expect([...paths].sort()).to.deep.equal([
            "baseline → baseline",
            "progressive → kept",
            "progressive → re-encoded",
        ]);
    });

    it("a progressive rotated upload kept as it came carries its orientation as a minimal EXIF block; re-encoded, the rotation is applied", async () => {
        const kept = await clean(
            await photoJpeg(1200, 800, { quality: 85, progressive: true, orientation: 6, gps: true }),
        );
        expect(kept.reencoded).to.equal(false);
        const keptMetadata = await sharp(kept.bytes).metadata();
        expect([keptMetadata.width, keptMetadata.orientation, kept.width, kept.height]).to.deep.equal([
            1200, 6, 800, 1200,
        ]);
        expect(keptMetadata.exif?.equals(orientationExif(6))).to.equal(true);

        const reencoded = await clean(await photoJpeg(600, 400, { quality: 100, progressive: true, orientation: 6 }));
        expect(reencoded.reencoded).to.equal(true);
        const metadata = await sharp(reencoded.bytes).metadata();
        expect([metadata.width, metadata.height, metadata.orientation ?? 1, metadata.exif]).to.deep.equal([
            400,
            600,
            1,
            undefined,
        ]);
    });
});

describe("a PNG's metadata chunks go losslessly (functions/ingest/pngChunks.ts)", () => {
    /** A PNG chunk (PNG §5.3): length, type, data, CRC-32 of type and data. */
    const chunk = (type: string, data: Buffer) => {
        const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
        const length = Buffer.alloc(4);
        length.writeUInt32BE(data.length);
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(body));
        return Buffer.concat([length, body, crc]);
    };
    /** A photo-like PNG at zlib level 9 with EXIF (GPS) in eXIf and a tEXt chunk after IHDR. */
    const pngWithMetadata = async () => {
        const png = await sharp(photoLike(200, 150, 3, 1), { raw: { width: 200, height: 150, channels: 3 } })
            .withExif({ IFD3: { GPSLatitudeRef: "N", GPSLatitude: "37/1 33/1 59/1" } })
            .png({ compressionLevel: 9 })
            .toBuffer();
        const afterHeader = 8 + 12 + 13; // signature, IHDR
        const text = chunk("tEXt", Buffer.from("Comment\0shot at home, 37.5663 N", "latin1"));
        return Buffer.concat([png.subarray(0, afterHeader), text, png.subarray(afterHeader)]);
    };
    const cleanPng = (bytes: Buffer) =>
        checkAndClean(bytes, { contentType: "image/png", keyType: "image/png" }, LIMITS);

    it("a PNG with EXIF (GPS) and a text chunk is stored without them, pixels bit-identical, fewer bytes, not re-encoded when that is larger", async () => {
        const upload = await pngWithMetadata();
        const before = await sharp(upload).metadata();
        expect(exifHasGps(before.exif), "the upload carries GPS").to.equal(true);
        expect(before.comments?.length).to.equal(1);
        const stored = await cleanPng(upload);
        expect([stored.reencoded, stored.stripped]).to.deep.equal([false, true]);
        const after = await sharp(stored.bytes).metadata();
        expect([after.exif, after.comments]).to.deep.equal([undefined, undefined]);
        expect(stored.bytes.includes(Buffer.from("37.5663", "latin1"))).to.equal(false);
        const [a, b] = await Promise.all([upload, stored.bytes].map((bytes) => sharp(bytes).raw().toBuffer()));
        expect(b.equals(a), "pixels bit-identical").to.equal(true);
        // A re-encode (zlib level 6) would have had more bytes than this level-9 upload.
        expect(stored.bytes.length).to.be.below(upload.length);
    });

    it("a PNG whose lossless re-encode is smaller (an upload stored without compression) is stored re-encoded", async () => {
        const level0 = await sharp(photoLike(200, 150, 3, 1), { raw: { width: 200, height: 150, channels: 3 } })
            .withExif({ IFD3: { GPSLatitudeRef: "N", GPSLatitude: "37/1 33/1 59/1" } })
            .png({ compressionLevel: 0 })
            .toBuffer();
        const stored = await cleanPng(level0);
        expect([stored.reencoded, stored.stripped]).to.deep.equal([true, false]);
        expect((await sharp(stored.bytes).metadata()).exif).to.equal(undefined);
        const [a, b] = await Promise.all([level0, stored.bytes].map((bytes) => sharp(bytes).raw().toBuffer()));
        expect(b.equals(a), "lossless: pixels bit-identical").to.equal(true);
        expect(stored.bytes.length, "smaller than the stripped upload").to.be.below(stripPngMetadata(level0)!.length);
    });

    it("keeps what says how to show the pixels (pHYs, the image data) and refuses what it cannot follow", async () => {
        const upload = await pngWithMetadata();
        const stripped = stripPngMetadata(upload)!;
        expect(stripped.includes(Buffer.from("pHYs", "latin1"))).to.equal(true);
        expect(stripped.includes(Buffer.from("eXIf", "latin1"))).to.equal(false);
        expect(stripPngMetadata(upload.subarray(0, upload.length - 12)), "no IEND").to.equal(undefined);
        expect(stripPngMetadata(Buffer.from("not a png")), "no signature").to.equal(undefined);
        const unknownCritical = Buffer.concat([
            upload.subarray(0, 33),
            chunk("ZZZZ", Buffer.alloc(2)),
            upload.subarray(33),
        ]);
        expect(stripPngMetadata(unknownCritical), "an unknown critical chunk").to.equal(undefined);
    });
});

describe("a WebP's metadata chunks go losslessly (functions/ingest/webpChunks.ts)", () => {
    const cleanWebp = (bytes: Buffer) =>
        checkAndClean(
            bytes,
            { contentType: "image/webp", keyType: "image/webp" },
            { ...LIMITS, allowedContentTypes: ["image/webp"] },
        );

    it("a q50 WebP with EXIF (GPS) and XMP is stored without them, pixels bit-identical, fewer bytes, no re-encode", async () => {
        const upload = await sharp(photoLike(200, 150, 3, 2), { raw: { width: 200, height: 150, channels: 3 } })
            .withExif({ IFD3: { GPSLatitudeRef: "N", GPSLatitude: "37/1 33/1 59/1" } })
            .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>')
            .webp({ quality: 50 })
            .toBuffer();
        const before = await sharp(upload).metadata();
        expect([exifHasGps(before.exif), before.xmp !== undefined]).to.deep.equal([true, true]);
        const stored = await cleanWebp(upload);
        expect([stored.reencoded, stored.stripped]).to.deep.equal([false, true]);
        const after = await sharp(stored.bytes).metadata();
        expect([after.exif, after.xmp]).to.deep.equal([undefined, undefined]);
        expect(stored.bytes.includes(Buffer.from("xmpmeta", "latin1"))).to.equal(false);
        const [a, b] = await Promise.all([upload, stored.bytes].map((bytes) => sharp(bytes).raw().toBuffer()));
        expect(b.equals(a), "pixels bit-identical").to.equal(true);
        expect(stored.bytes.length).to.be.below(upload.length);
        // A re-encode at REENCODE_QUALITY (90) would have had more bytes than this q50 upload.
        const reencoded = await sharp(upload).webp({ quality: 90 }).toBuffer();
        expect(reencoded.length).to.be.above(upload.length);
    });
});

describe("minimal EXIF: the orientation tag alone (functions/ingest/minimalExif.ts)", () => {
    it("sharp reads back each orientation 2-8 from a stripped JPEG, and nothing else is in the block", async () => {
        const { stripJpegMetadata } = await import("../../functions/ingest/jpegMarkers");
        const jpeg = await jpegBytes(24, 16);
        for (let orientation = 2; orientation <= 8; orientation++) {
            const stripped = stripJpegMetadata(jpeg, { orientation })!;
            const metadata = await sharp(stripped).metadata();
            expect(metadata.orientation, `orientation ${orientation}`).to.equal(orientation);
            expect(metadata.exif!.length).to.equal(32); // "Exif\0\0", TIFF header, one IFD entry, no next IFD
        }
        expect(() => orientationExif(0)).to.throw(RangeError);
        expect(() => orientationExif(9)).to.throw(RangeError);
    });
});

describe("unsupported but well-formed JPEGs → unsupported_image (functions/ingest/jpegFrame.ts)", () => {
    it("a 12-bit JPEG is refused with unsupported_image and a message that names 12-bit, not corrupt_image", async () => {
        const twelveBit = jpeg12Bit(2, 2, [100, 4000, 2048, 3000]);
        // libvips reads its header and refuses its data for its precision: it is not broken.
        expect((await sharp(twelveBit).metadata()).width).to.equal(16);
        const decoded = await sharp(twelveBit, { failOn: "error" })
            .raw()
            .toBuffer()
            .then(
                () => "decoded",
                (error: Error) => error.message,
            );
        expect(decoded).to.match(/precision 12/);
        const refusal = await clean(twelveBit).then(
            () => undefined,
            (error: unknown) => error,
        );
        expect(refusal).to.be.instanceOf(UploadRefused);
        expect((refusal as UploadRefused).code).to.equal("unsupported_image");
        expect((refusal as UploadRefused).message).to.match(/12-bit JPEG/);
    });

    it("a truncated 12-bit JPEG is still corrupt (its structure cannot be read to the end)", async () => {
        const twelveBit = jpeg12Bit(
            4,
            4,
            Array.from({ length: 16 }, (_, i) => i * 250),
        );
        const refusal = await clean(twelveBit.subarray(0, twelveBit.length - 6)).catch((error: UploadRefused) => error);
        expect((refusal as UploadRefused).code).to.equal("corrupt_image");
    });

    it("the frame header says which process and precision: 8-bit frames pass, other precisions and hierarchical frames do not", async () => {
        const baseline = jpegFrame(await jpegBytes(16, 16))!;
        expect([baseline.process, baseline.precision, baseline.hierarchical]).to.deep.equal(["sequential", 8, false]);
        expect(unsupportedJpegFeature(baseline)).to.equal(undefined);
        const progressive = jpegFrame(await photoJpeg(16, 16, { quality: 80, progressive: true }))!;
        expect([progressive.process, unsupportedJpegFeature(progressive)]).to.deep.equal(["progressive", undefined]);
        const twelve = jpegFrame(jpeg12Bit(1, 1, [2048]))!;
        expect([twelve.process, twelve.precision]).to.deep.equal(["sequential", 12]);
        expect(unsupportedJpegFeature({ ...baseline, hierarchical: true })).to.match(/hierarchical/);
        expect(unsupportedJpegFeature({ ...baseline, process: "lossless", precision: 16 })).to.match(/16-bit/);
        expect(unsupportedJpegFeature({ ...baseline, process: "lossless" }), "8-bit lossless decodes").to.equal(
            undefined,
        );
    });
});
