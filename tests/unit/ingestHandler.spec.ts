// The ingest function (functions/ingest/) against the loopback S3: each check refuses its kind of bad upload,
// a good upload reaches uploads/ without private metadata, and a clean one byte-identical.
import { expect } from "chai";
import { randomUUID } from "crypto";
import sharp from "sharp";
import { thumbHashToApproximateAspectRatio, thumbHashToAverageRGBA } from "thumbhash";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createIngestHandler } from "../../functions/ingest/ingest";
import { decodeEventKey } from "../../functions/shared/s3Event";
import { gifIsComplete } from "../../functions/ingest/gifStructure";
import { sniffImageType } from "../../functions/ingest/magicBytes";
import { orientationExif } from "../../functions/ingest/minimalExif";
import { IngestSettings } from "../../functions/ingest/settings";
import { parseStagingKey, uploadKeys } from "../../functions/shared/bucketLayout";
import { animated, avifBytes, exifHasGps, jpegBytes, jpegWithGps, pngBytes, webpBytes } from "../support/images";
import { TEST_BUCKET } from "../support/localS3";
import { eventFor, ingest, logs, read, s3, settings, statusOf, useIngestHarness } from "../support/ingestHarness";

describe("ingest function (functions/ingest/) against the loopback S3", () => {
    useIngestHarness();

    describe("a good upload", () => {
        it("is stored at uploads/<id>.<ext> without GPS or any EXIF but its orientation, the staged object deleted, status ready", async () => {
            const upload = await jpegWithGps(60, 40);
            expect(exifHasGps((await sharp(upload).metadata()).exif), "the test image carries GPS").to.equal(true);
            const { keys, status } = await ingest(upload, "image/jpeg", "jpg");
            const stored = await read(keys.finalKey);
            expect(stored, "stored original").to.not.equal(undefined);
            const metadata = await sharp(stored!).metadata();
            expect(exifHasGps(metadata.exif)).to.equal(false);
            expect(metadata.exif?.equals(orientationExif(6)), "the orientation tag alone (issue 27)").to.equal(true);
            expect(await read(keys.stagingKey), "staged object").to.equal(undefined);
            const { placeholder, ...rest } = status;
            expect(placeholder).to.be.a("string");
            expect(rest).to.deep.equal({
                status: "ready",
                key: keys.finalKey,
                width: 40,
                height: 60,
                format: "jpeg",
                bytes: stored!.length,
                variants: [`300x300/${keys.finalKey}`, `640x480/${keys.finalKey}`],
                storedVariants: [],
            });
        });

        it("announces a ThumbHash placeholder of the image as displayed (its aspect ratio and average colour)", async () => {
            const green = await sharp({
                create: { width: 80, height: 40, channels: 3, background: { r: 0, g: 200, b: 0 } },
            })
                .png()
                .toBuffer();
            const { status } = await ingest(green, "image/png", "png");
            const hash = Buffer.from(status.placeholder!, "base64");
            expect(hash.length).to.be.within(5, 40);
            expect(thumbHashToApproximateAspectRatio(hash)).to.be.closeTo(2, 0.3); // ThumbHash keeps it approximately
            const average = thumbHashToAverageRGBA(hash);
            expect(average.g).to.be.above(0.6);
            expect(average.r).to.be.below(0.2);
            // Displayed 40×60 (orientation 6 applied), not stored 60×40.
            const rotated = (await ingest(await jpegWithGps(60, 40), "image/jpeg", "jpg")).status;
            expect(thumbHashToApproximateAspectRatio(Buffer.from(rotated.placeholder!, "base64"))).to.be.below(1);
        });

        it("keeps the orientation as displayed: the pixels untouched, the orientation tag alone is left (issue 27)", async () => {
            const { keys, status } = await ingest(await jpegWithGps(60, 40), "image/jpeg", "jpg");
            expect([status.width, status.height], "the status says the displayed size").to.deep.equal([40, 60]);
            const stored = (await read(keys.finalKey))!;
            const metadata = await sharp(stored).metadata();
            expect([metadata.width, metadata.height, metadata.orientation]).to.deep.equal([60, 40, 6]);
            expect(exifHasGps(metadata.exif)).to.equal(false);
            // Orientation 6 turns the red left half to the top, the blue right half to the bottom.
            const { data } = await sharp(stored).autoOrient().raw().toBuffer({ resolveWithObject: true });
            const pixel = (x: number, y: number) => Array.from(data.subarray((y * 40 + x) * 3, (y * 40 + x) * 3 + 3));
            expect(pixel(20, 5)[0], "top is red").to.be.above(200);
            expect(pixel(20, 5)[2], "top is not blue").to.be.below(60);
            expect(pixel(20, 54)[2], "bottom is blue").to.be.above(200);
            expect(pixel(20, 54)[0], "bottom is not red").to.be.below(60);
        });

        it("keeps the ICC profile while removing EXIF (all but the orientation tag)", async () => {
            const { keys } = await ingest(await jpegWithGps(60, 40, { icc: "p3" }), "image/jpeg", "jpg");
            const metadata = await sharp((await read(keys.finalKey))!).metadata();
            expect(metadata.icc, "ICC profile").to.not.equal(undefined);
            expect(metadata.exif?.equals(orientationExif(6)), "only the orientation tag").to.equal(true);
        });

        for (const [name, make, type, extension] of [
            ["baseline JPEG", () => jpegBytes(120, 80), "image/jpeg", "jpg"],
            ["PNG", () => pngBytes(64, 48), "image/png", "png"],
            ["WebP", () => webpBytes(64, 48), "image/webp", "webp"],
            ["animated GIF", () => animated("gif", 32, 24, 3), "image/gif", "gif"],
            ["AVIF", () => avifBytes(64, 48), "image/avif", "avif"],
        ] as const) {
            it(`a clean ${name} is stored byte-identical (no needless re-encode)`, async () => {
                const upload = await make();
                const { keys, status } = await ingest(upload, type, extension);
                expect(status.status).to.equal("ready");
                expect((await read(keys.finalKey))!.equals(upload)).to.equal(true);
            });
        }

        it("a progressive JPEG without metadata is stored re-encoded as baseline", async () => {
            const upload = await sharp(await jpegBytes(120, 80))
                .jpeg({ progressive: true })
                .toBuffer();
            const { keys, status } = await ingest(upload, "image/jpeg", "jpg");
            expect(status.status).to.equal("ready");
            const stored = (await read(keys.finalKey))!;
            expect(stored.equals(upload)).to.equal(false);
            expect((await sharp(stored).metadata()).isProgressive).to.equal(false);
        });

        it("an animated WebP with EXIF keeps all its frames when cleaned", async () => {
            const frames = await animated("gif", 32, 24, 3);
            const upload = await sharp(frames, { animated: true })
                .withExif({ IFD0: { Artist: "me" } })
                .webp()
                .toBuffer();
            const { keys, status } = await ingest(upload, "image/webp", "webp");
            expect([status.status, status.width, status.height]).to.deep.equal(["ready", 32, 24]);
            const metadata = await sharp((await read(keys.finalKey))!).metadata();
            expect([metadata.pages, metadata.exif]).to.deep.equal([3, undefined]);
        });
    });

    describe("a refused upload: staged object deleted, nothing under uploads/, status rejected with the reason", () => {
        const refused = async (
            bytes: Buffer,
            contentType: string,
            extension: string,
            code: string,
            overrides: Partial<IngestSettings> = {},
        ) => {
            const { keys, status } = await ingest(bytes, contentType, extension, overrides);
            expect(status.status, JSON.stringify(status)).to.equal("rejected");
            expect(status.error?.code).to.equal(code);
            expect(status.error?.message).to.be.a("string").and.not.equal("");
            expect(status.key).to.equal(keys.finalKey);
            expect(await read(keys.finalKey), "nothing stored under uploads/").to.equal(undefined);
            expect(await read(keys.stagingKey), "staged object deleted").to.equal(undefined);
            return status;
        };

        it("larger than maxUploadBytes → too_large (checked first, even for a valid image)", async () => {
            const upload = await jpegBytes(120, 80);
            const status = await refused(upload, "image/jpeg", "jpg", "too_large", {
                maxUploadBytes: upload.length - 1,
            });
            expect(status.error!.message).to.contain(String(upload.length - 1));
        });

        it("a text file labelled image/jpeg → not_an_allowed_image", async () => {
            await refused(Buffer.from("hello, I am not a picture\n"), "image/jpeg", "jpg", "not_an_allowed_image");
        });

        it("an image type the config does not allow → not_an_allowed_image", async () => {
            await refused(await pngBytes(), "image/png", "png", "not_an_allowed_image", {
                allowedContentTypes: ["image/jpeg"],
            });
        });

        it("a PNG uploaded as image/jpeg (magic bytes differ from the signed Content-Type) → type_mismatch", async () => {
            await refused(await pngBytes(), "image/jpeg", "jpg", "type_mismatch");
        });

        it("a JPEG signature followed by garbage → undecodable_header", async () => {
            const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 0x41)]);
            await refused(bytes, "image/jpeg", "jpg", "undecodable_header");
        });

        it("more pixels than limitInputPixels, all frames counted → too_many_pixels", async () => {
            // 32×24×3 = 2304 pixels over three frames, one frame (768) within the limit
            await refused(await animated("gif", 32, 24, 3), "image/gif", "gif", "too_many_pixels", {
                limitInputPixels: 2000,
            });
        });

        for (const [name, make, type, extension] of [
            ["JPEG", () => jpegBytes(400, 300), "image/jpeg", "jpg"],
            ["PNG", () => pngBytes(400, 300), "image/png", "png"],
            // libvips decodes a truncated GIF without an error; its block structure tells (functions/ingest/gifStructure.ts)
            ["animated GIF", () => animated("gif", 400, 300, 3), "image/gif", "gif"],
        ] as const) {
            it(`a truncated ${name} (header intact) → corrupt_image`, async () => {
                const whole = await make();
                const truncated = whole.subarray(0, Math.floor(whole.length / 2));
                expect((await sharp(truncated).metadata()).width, "the header still decodes").to.equal(400);
                await refused(truncated, type, extension, "corrupt_image");
            });
        }
    });

    describe("a GIF's block structure (functions/ingest/gifStructure.ts, GIF89a sections 17–27)", () => {
        it("a whole GIF (animated or still, sharp's encoder) is complete; every shorter prefix of it is not", async () => {
            for (const whole of [
                await animated("gif", 40, 30, 3),
                await sharp(await pngBytes(40, 30))
                    .gif()
                    .toBuffer(),
            ]) {
                expect(gifIsComplete(whole)).to.equal(true);
                for (let length = 0; length < whole.length; length++)
                    expect(gifIsComplete(whole.subarray(0, length)), `${length} of ${whole.length} bytes`).to.equal(
                        false,
                    );
            }
        });

        it("an unknown block before the trailer is not complete", async () => {
            const whole = await animated("gif", 40, 30, 2);
            const garbled = Buffer.concat([whole.subarray(0, whole.length - 1), Buffer.from([0x99, 0x3b])]);
            expect(gifIsComplete(garbled)).to.equal(false);
        });
    });

    describe("events", () => {
        it("decodes the key as S3 encodes it in events (a space as '+', '+' as %2B)", () => {
            expect(decodeEventKey("incoming/a+b%2Bc%C3%A9.jpg")).to.equal("incoming/a b+cé.jpg");
        });

        it("a second delivery of the same event leaves the ready status and the stored original alone", async () => {
            const { keys } = await ingest(await jpegWithGps(60, 40), "image/jpeg", "jpg");
            const stored = await read(keys.finalKey);
            await createIngestHandler({ s3: s3.s3, settings: settings(), log: (line) => logs.push(line) })(
                eventFor(keys.stagingKey),
            );
            expect((await statusOf(keys.id))!.status).to.equal("ready");
            expect((await read(keys.finalKey))!.equals(stored!)).to.equal(true);
        });

        it("ignores keys outside the staging layout and other buckets' events (nothing read, nothing written)", async () => {
            const id = randomUUID();
            const key = `uploads/${id}.jpg`;
            await s3.s3.send(
                new PutObjectCommand({
                    Bucket: TEST_BUCKET,
                    Key: key,
                    Body: Buffer.from("x"),
                    ContentType: "image/jpeg",
                }),
            );
            const handler = createIngestHandler({ s3: s3.s3, settings: settings(), log: (line) => logs.push(line) });
            await handler(eventFor(key));
            const other = eventFor(`incoming/${id}.jpg`);
            other.Records![0].s3.bucket.name = "another-bucket";
            await handler(other);
            expect(await read(key), "left alone").to.deep.equal(Buffer.from("x"));
            expect(await statusOf(id)).to.equal(undefined);
            expect(logs.map((line) => JSON.parse(line).outcome)).to.deep.equal(["ignored", "ignored"]);
        });

        it("a storage failure fails the invocation (so Lambda retries it) after trying every record", async () => {
            const keys = uploadKeys(randomUUID(), "jpg");
            const broken = createIngestHandler({
                s3: s3.s3,
                settings: settings({ bucket: "no-such-bucket" }),
                log: (line) => logs.push(line),
            });
            const event = eventFor(keys.stagingKey);
            event.Records![0].s3.bucket.name = "no-such-bucket";
            event.Records!.push(event.Records![0]);
            let failure: unknown;
            await broken(event).catch((error) => {
                failure = error;
            });
            expect(String(failure)).to.contain("2 of 2");
        });
    });

    describe("bucket layout and magic bytes", () => {
        it("a staging key names its final key and status key; other keys are not staging keys", () => {
            const id = randomUUID();
            expect(parseStagingKey(`incoming/${id}.png`)).to.deep.equal({
                id,
                extension: "png",
                stagingKey: `incoming/${id}.png`,
                finalKey: `uploads/${id}.png`,
                statusKey: `status/${id}.json`,
            });
            expect(parseStagingKey(`incoming/owner_1/${id}.jpg`)?.finalKey).to.equal(`uploads/owner_1/${id}.jpg`);
            for (const key of [`uploads/${id}.png`, `incoming/${id}`, "incoming/x.png", `incoming/../${id}.png`])
                expect(parseStagingKey(key), key).to.equal(undefined);
        });

        it("sniffs each pipeline format from its first bytes, and nothing else", async () => {
            expect(sniffImageType(await jpegBytes(8, 8))).to.equal("image/jpeg");
            expect(sniffImageType(await pngBytes(8, 8))).to.equal("image/png");
            expect(sniffImageType(await webpBytes(8, 8))).to.equal("image/webp");
            expect(sniffImageType(await animated("gif", 8, 8, 2))).to.equal("image/gif");
            expect(sniffImageType(await avifBytes(8, 8))).to.equal("image/avif");
            expect(sniffImageType(Buffer.from("GIF90a....."))).to.equal(undefined);
            expect(sniffImageType(Buffer.from("RIFF\0\0\0\0WAVEfmt "))).to.equal(undefined);
            expect(sniffImageType(Buffer.alloc(0))).to.equal(undefined);
        });
    });
});
