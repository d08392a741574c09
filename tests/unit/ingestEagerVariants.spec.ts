// The ingest function's eager variants (functions/ingest/eagerVariants.ts) against the loopback S3: the sizes of
// eagerResolutions, rendered and stored as the Resizer would before the upload is ready, listed in storedVariants.
import { expect } from "chai";
import { randomUUID } from "crypto";
import sharp from "sharp";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createIngestHandler } from "../../functions/ingest/ingest";
import { IngestSettings } from "../../functions/ingest/settings";
import { renderVariant } from "../../functions/resize/renderVariant";
import { VARIANT_CACHE_CONTROL } from "../../functions/resize/resize";
import { parsePipelineConfig } from "../../config/stackConfig";
import { uploadKeys } from "../../functions/shared/bucketLayout";
import { AVIF_MAX_PIXELS, VariantFormat } from "../../functions/shared/variantFormats";
import { avifBytes, jpegBytes, pngBytes, webpBytes } from "../support/images";
import { TEST_BUCKET } from "../support/localS3";
import { eventFor, ingest, logs, read, s3, settings, statusOf, useIngestHarness } from "../support/ingestHarness";

describe("ingest function (functions/ingest/): eager variants (eagerResolutions), against the loopback S3", () => {
    useIngestHarness();

    describe("eager variants (eagerResolutions)", () => {
        const eager = (resolutions: string[], formats: VariantFormat[] = []): Partial<IngestSettings> => ({
            eager: { resolutions, fit: "cover", gravity: "centre", quality: 80, formats },
        });
        const head = (key: string) => s3.s3.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: key }));

        it("each eager size is stored with its dimensions, as the Resizer stores it (same bytes, Content-Type, Cache-Control), before ready", async () => {
            const written: string[] = [];
            const recording = {
                send: (command: { input: { Key?: string; Body?: unknown } }) => {
                    if (command.constructor.name === "PutObjectCommand")
                        written.push(
                            command.input.Key!.startsWith("status/")
                                ? `status ${JSON.parse(String(command.input.Body)).status}`
                                : command.input.Key!.split("/")[0],
                        );
                    return s3.s3.send(command as never);
                },
            } as unknown as S3Client;
            const { keys, status } = await ingest(
                await jpegBytes(400, 300),
                "image/jpeg",
                "jpg",
                eager(["300x300", "64x48"]),
                { client: recording },
            );
            expect(written, "original, then the variants, then ready").to.deep.equal([
                "status pending",
                "uploads",
                "300x300",
                "64x48",
                "status ready",
            ]);
            expect(status.status).to.equal("ready");
            expect(status.storedVariants).to.deep.equal([`300x300/${keys.finalKey}`, `64x48/${keys.finalKey}`]);
            const original = (await read(keys.finalKey))!;
            for (const [size, width, height] of [
                ["300x300", 300, 300],
                ["64x48", 64, 48],
            ] as const) {
                const key = `${size}/${keys.finalKey}`;
                const stored = await head(key);
                expect([stored.ContentType, stored.CacheControl], key).to.deep.equal([
                    "image/jpeg",
                    VARIANT_CACHE_CONTROL,
                ]);
                const bytes = Buffer.from(await stored.Body!.transformToByteArray());
                const metadata = await sharp(bytes).metadata();
                expect([metadata.width, metadata.height], key).to.deep.equal([width, height]);
                const resized = await renderVariant(original, {
                    width,
                    height,
                    fit: "cover",
                    quality: 80,
                    limitInputPixels: 50_000_000,
                });
                expect(bytes.equals(resized.bytes), `${key}: the Resizer's own rendering`).to.equal(true);
            }
            // A size not eager is left for the first request.
            expect(await read(`640x480/${keys.finalKey}`)).to.equal(undefined);
        });

        it("with formats (autoFormat), each eager size is also stored in AVIF and WebP, AVIF even above the first-hit AVIF_MAX_PIXELS", async () => {
            const { keys, status } = await ingest(
                await jpegBytes(1600, 1200),
                "image/jpeg",
                "jpg",
                eager(["1600x1000"], ["avif", "webp"]),
            );
            const formatKeys = ["avif", "webp"].map((format) => `1600x1000/${format}/${keys.finalKey}`);
            expect(status.storedVariants).to.deep.equal([`1600x1000/${keys.finalKey}`, ...formatKeys]);
            expect(1600 * 1000).to.be.greaterThan(AVIF_MAX_PIXELS); // a first hit would get WebP for this size
            for (const [key, contentType, format] of [
                [formatKeys[0], "image/avif", "heif"],
                [formatKeys[1], "image/webp", "webp"],
            ]) {
                const stored = await head(key);
                expect(stored.ContentType, key).to.equal(contentType);
                const metadata = await sharp(Buffer.from(await stored.Body!.transformToByteArray())).metadata();
                expect([metadata.format, metadata.width, metadata.height], key).to.deep.equal([format, 1600, 1000]);
            }
        });

        it("an AVIF or WebP original keeps its format in every variant (the edge never rewrites its URI): only its plain variants are made", async () => {
            for (const [bytes, type, extension] of [
                [await webpBytes(64, 48), "image/webp", "webp"],
                [await avifBytes(64, 48), "image/avif", "avif"],
            ] as const) {
                const { keys, status } = await ingest(bytes, type, extension, eager(["32x24"], ["avif", "webp"]));
                expect(status.storedVariants, extension).to.deep.equal([`32x24/${keys.finalKey}`]);
                for (const format of ["avif", "webp"])
                    expect(await read(`32x24/${format}/${keys.finalKey}`), `${extension} ${format}`).to.equal(
                        undefined,
                    );
            }
        });

        it("no eager settings (or an empty list): no variant is stored, storedVariants is empty", async () => {
            for (const overrides of [{}, eager([])]) {
                const { keys, status } = await ingest(await jpegBytes(120, 80), "image/jpeg", "jpg", overrides);
                expect(status.storedVariants).to.deep.equal([]);
                expect(await read(`300x300/${keys.finalKey}`)).to.equal(undefined);
            }
        });

        it("a refused upload gets no eager variant", async () => {
            const { keys, status } = await ingest(await pngBytes(), "image/jpeg", "jpg", eager(["300x300"]));
            expect(status.status).to.equal("rejected");
            expect(await read(`300x300/${keys.finalKey}`)).to.equal(undefined);
        });

        it("one eager variant failing to store: the upload is still ready, that variant is left to the Resizer (not listed), the others stored, a warning logged", async () => {
            let failingKey = "";
            const client = {
                send: (command: { input: { Key?: string } }) =>
                    command.input.Key === failingKey
                        ? Promise.reject(
                              Object.assign(new Error("We encountered an internal error."), { name: "InternalError" }),
                          )
                        : s3.s3.send(command as never),
            } as unknown as S3Client;
            const id = randomUUID();
            failingKey = `300x300/uploads/${id}.jpg`;
            const keys = uploadKeys(id, "jpg");
            await s3.s3.send(
                new PutObjectCommand({
                    Bucket: TEST_BUCKET,
                    Key: keys.stagingKey,
                    Body: await jpegBytes(400, 300),
                    ContentType: "image/jpeg",
                }),
            );
            await createIngestHandler({
                s3: client,
                settings: settings(eager(["300x300", "64x48"])),
                log: (line) => logs.push(line),
            })(eventFor(keys.stagingKey));
            const status = (await statusOf(id))!;
            expect(status.status).to.equal("ready");
            expect(status.storedVariants).to.deep.equal([`64x48/${keys.finalKey}`]);
            expect(await read(failingKey)).to.equal(undefined);
            expect(await read(`64x48/${keys.finalKey}`)).to.not.equal(undefined);
            expect(await read(keys.stagingKey), "staged object deleted").to.equal(undefined);
            const warning = logs
                .map((line) => JSON.parse(line))
                .find((line) => line.outcome === "eager_variant_failed");
            expect(warning).to.include({ level: "WARN", key: failingKey });
        });

        it("config: eagerResolutions must be allowed sizes (any valid size with allowAnyResolution), at most 10; default none", () => {
            const ns = (values: Record<string, string>) =>
                Object.fromEntries(Object.entries(values).map(([k, v]) => [`image-pipeline:${k}`, v]));
            const parse = (values: Record<string, string>) => parsePipelineConfig(ns(values), "image-pipeline");
            expect(parse({}).eagerResolutions).to.deep.equal([]);
            expect(parse({ eagerResolutions: "300x300" }).eagerResolutions).to.deep.equal(["300x300"]);
            expect(() => parse({ eagerResolutions: "300x300,200x200" })).to.throw(
                'image-pipeline:eagerResolutions: "200x200" not in image-pipeline:allowedResolutions',
            );
            expect(() => parse({ eagerResolutions: "0x0" })).to.throw('"0x0" names neither a width nor a height');
            expect(() => parse({ eagerResolutions: "300y300" })).to.throw("is not a size like 300x300");
            expect(
                parse({ allowedResolutions: "", allowAnyResolution: "true", eagerResolutions: "200x200" })
                    .eagerResolutions,
            ).to.deep.equal(["200x200"]);
            expect(() =>
                parse({ allowedResolutions: "", allowAnyResolution: "true", eagerResolutions: "3000x3000" }),
            ).to.throw("exceeds maxResizeDimension");
            const eleven = Array.from({ length: 11 }, (_, i) => `${i + 1}x${i + 1}`).join(",");
            expect(() => parse({ allowedResolutions: eleven, eagerResolutions: eleven })).to.throw(
                "eagerResolutions: 11 sizes; at most 10",
            );
        });
    });
});
