// Variant formats: AVIF and WebP against today's output (the original's format: libvips' default JPEG at q80 for
// the corpus photos, the Resizer's JPEG before issue 27), per size. Quality is matched at equal SSIMULACRA2 (the
// reference tool, /usr/local/bin/ssimulacra2 or on PATH; it reads PNG, so every candidate is decoded to PNG first)
// by bisection over the encoder's quality, with the encoder settings of functions/resize/encoderSettings.ts.
// Times are ratios against today's in the same run, the two run alternately (sideBySide).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import sharp, { Sharp } from "sharp";
import { DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createResizeHandler } from "../functions/resize/resize";
import { renderVariant } from "../functions/resize/renderVariant";
import {
    AVIF_ENCODER,
    avifOptions,
    encoderQuality,
    WEBP_ENCODER,
    webpOptions,
} from "../functions/resize/encoderSettings";
import { formatVariantKey, UPLOADS_PREFIX } from "../functions/shared/bucketLayout";
import { AVIF_MAX_PIXELS, VARIANT_FORMATS, VariantFormat } from "../functions/shared/variantFormats";
import { BenchImage, storedOriginal } from "./corpus";
import { BENCH_SIZES } from "./resizeBench";
import { libvipsDefaultJpeg, withLibvipsDefaultJpeg } from "./jpegBench";
import { median, sideBySide, timeRuns } from "./stats";
import { ssimulacra2Score, toolPath } from "./ssimulacra2";
import { Figure } from "./figures";

const QUALITY = 80; // today's resizeQuality default

export interface FormatRow {
    image: string;
    size: string;
    /** The key's format segment. */
    requested: VariantFormat;
    /** What the Resizer answers for it at this size (AVIF above AVIF_MAX_PIXELS is answered as WebP). */
    delivered: string;
    /** Today's output's SSIMULACRA2 score against the losslessly resized image. */
    todayScore?: number;
    /** The requested format's quality that first reaches today's score (bisection), and its bytes / today's. */
    matchedQuality?: number;
    matchedBytesRatio?: number;
    /** With the configured encoder settings: score minus today's, and bytes / today's (the delivered format). */
    configuredScoreDelta?: number;
    configuredBytesRatio: number;
    /** renderVariant (decode, resize, encode) time / today's, the requested format forced (no size rule). */
    encodeRatio: number;
    /** The resize handler end to end (loopback S3 read, render, store, answer) / today's (the same handler with
     *  libvips' default JPEG encoder), first and second hit, median of alternating pairs. */
    firstHitRatio: number;
    secondHitRatio: number;
    /** The same first hit / the JPEG variant's as configured now (encoderSettings.ts). */
    firstHitVsJpegRatio: number;
    /** The JPEG variant's first hit as configured now / today's (the plain key, same photo and size). */
    jpegFirstHitRatio: number;
}

/** The encoder of encoderSettings.ts at a given encoder quality, on a resize pipeline of `pixels` pixels. */
function encode(pipeline: Sharp, format: VariantFormat, quality: number, pixels: number): Sharp {
    return format === "avif"
        ? pipeline.avif({ ...avifOptions(QUALITY, pixels), quality })
        : pipeline.webp({ ...webpOptions(QUALITY, pixels), quality });
}

export async function benchFormats(
    images: BenchImage[],
    s3: S3Client,
    bucket: string,
    runs: number,
    log: (line: string) => void = () => undefined,
): Promise<{ rows: FormatRow[]; ssimulacra2?: string }> {
    const photos = images.filter((image) => image.contentType === "image/jpeg");
    const tool = toolPath("ssimulacra2");
    if (!tool) log("ssimulacra2 not found: bytes compared at the configured qualities, without scores");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-formats-"));
    const score = (reference: string, candidate: Buffer) => ssimulacra2Score(tool!, dir, reference, candidate);
    sharp.concurrency(1); // the Lambda default (1536 MB: one vCPU), the same for every contender
    const handler = createResizeHandler({
        s3,
        log: () => undefined,
        settings: {
            bucket,
            uploadPrefix: UPLOADS_PREFIX,
            allowedResolutions: BENCH_SIZES,
            maxDimension: 2048,
            fit: "cover",
            gravity: "centre",
            quality: QUALITY,
            limitInputPixels: 50_000_000,
            metricsNamespace: "image-pipeline/bench",
            formats: [...VARIANT_FORMATS],
        },
    });
    const hit = async (key: string) => {
        const result = await handler({ rawPath: `/${key}`, requestContext: { http: { method: "GET" } } });
        if (result.statusCode !== 200 && result.statusCode !== 307)
            throw new Error(`resize ${key}: ${result.statusCode} ${result.body.slice(0, 200)}`);
        return result;
    };
    const render = (original: Buffer, width: number, height: number, format?: VariantFormat, avifMaxPixels?: number) =>
        renderVariant(original, {
            width,
            height,
            fit: "cover",
            quality: QUALITY,
            limitInputPixels: 50_000_000,
            ...(format ? { format, avifMaxPixels } : {}),
        });

    const rows: FormatRow[] = [];
    try {
        for (const image of photos) {
            const original = await storedOriginal(image);
            const originalKey = `${UPLOADS_PREFIX}format-bench/${image.name}`;
            await s3.send(
                new PutObjectCommand({
                    Bucket: bucket,
                    Key: originalKey,
                    Body: original,
                    ContentType: image.contentType,
                }),
            );
            for (const size of BENCH_SIZES) {
                const [width, height] = size.split("x").map(Number);
                // Resized once, losslessly: the reference every candidate is scored against, and the pixels the
                // quality search encodes (without decoding the original again at each step).
                const resized = await sharp(original)
                    .autoOrient()
                    .resize({ width, height, fit: "cover" })
                    .raw()
                    .toBuffer({ resolveWithObject: true });
                const { width: w, height: h, channels } = resized.info;
                const pipeline = () => sharp(resized.data, { raw: { width: w, height: h, channels } });
                const reference = path.join(dir, "reference.png");
                await pipeline().png({ compressionLevel: 1 }).toFile(reference);
                // Today's variant: libvips' default JPEG (the Resizer's encoder before issue 27), through the same
                // handler (withLibvipsDefaultJpeg); checked to be exactly that encoder's output.
                const todayRender = () => withLibvipsDefaultJpeg(() => render(original, width, height));
                const today = await todayRender();
                const expected = await sharp(original, { failOn: "error" })
                    .autoOrient()
                    .resize({ width, height, fit: "cover" })
                    .keepIccProfile()
                    .jpeg(libvipsDefaultJpeg(QUALITY))
                    .toBuffer();
                if (!today.bytes.equals(expected)) throw new Error("today's JPEG is not libvips' default encoder's");
                const todayScore = tool ? await score(reference, today.bytes) : undefined;
                const todayKey = formatVariantKey(size, undefined, originalKey);
                const todayHit = () => withLibvipsDefaultJpeg(() => hit(todayKey));
                const drop = (key: string) => () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
                const todaySecond = median(await timeRuns(runs, 1, todayHit));
                const jpegHits = await sideBySide(runs, () => hit(todayKey), todayHit, {
                    a: drop(todayKey),
                    b: drop(todayKey),
                });
                log(`  ${image.name} ${size} jpeg: first hit, as configured / today's ${jpegHits.ratio.toFixed(2)}×`);

                for (const format of VARIANT_FORMATS) {
                    const key = formatVariantKey(size, format, originalKey);
                    // What the Resizer answers for this key (the size rule applied), and the format forced.
                    const configured = await render(original, width, height, format, AVIF_MAX_PIXELS);
                    const first = await sideBySide(runs, () => hit(key), todayHit, { a: drop(key), b: drop(todayKey) });
                    const row: FormatRow = {
                        image: image.name,
                        size,
                        requested: format,
                        delivered: configured.contentType.replace("image/", ""),
                        configuredBytesRatio: configured.bytes.length / today.bytes.length,
                        encodeRatio: (
                            await sideBySide(runs, () => render(original, width, height, format, Infinity), todayRender)
                        ).ratio,
                        firstHitRatio: first.ratio,
                        firstHitVsJpegRatio: first.ratio / jpegHits.ratio,
                        jpegFirstHitRatio: jpegHits.ratio,
                        secondHitRatio: median(await timeRuns(runs, 1, () => hit(key))) / todaySecond,
                    };
                    if (tool && todayScore !== undefined) {
                        row.todayScore = todayScore;
                        row.configuredScoreDelta = (await score(reference, configured.bytes)) - todayScore;
                        // The lowest quality whose score reaches today's (scores rise with quality, near enough).
                        let [low, high] = [1, 100];
                        while (low < high) {
                            const quality = (low + high) >> 1;
                            const bytes = await encode(pipeline(), format, quality, w * h).toBuffer();
                            if ((await score(reference, bytes)) >= todayScore) high = quality;
                            else low = quality + 1;
                        }
                        row.matchedQuality = low;
                        row.matchedBytesRatio =
                            (await encode(pipeline(), format, low, w * h).toBuffer()).length / today.bytes.length;
                    }
                    log(
                        `  ${image.name} ${size} ${format}→${row.delivered}: bytes ${row.configuredBytesRatio.toFixed(2)}× (matched q${row.matchedQuality ?? "?"} ${row.matchedBytesRatio?.toFixed(2) ?? "?"}×), encode ${row.encodeRatio.toFixed(2)}×, first hit ${row.firstHitRatio.toFixed(2)}×`,
                    );
                    rows.push(row);
                }
            }
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        sharp.concurrency(0);
    }
    return { rows, ...(tool ? { ssimulacra2: tool } : {}) };
}

/** The configured qualities, for the table's captions. */
export function configuredQualities(): Record<VariantFormat, number> {
    return {
        avif: encoderQuality(QUALITY, AVIF_ENCODER.qualityOffset),
        webp: encoderQuality(QUALITY, WEBP_ENCODER.qualityOffset),
    };
}

/** The table's figures: medians over the corpus photos, per format and size, and the current browser's bytes. */
export function formatFigures(rows: FormatRow[]): Figure[] {
    const figures: Figure[] = [];
    const q = configuredQualities();
    const medianOf = (list: FormatRow[], pick: (row: FormatRow) => number | undefined) => {
        const values = list.map(pick).filter((value): value is number => value !== undefined);
        return values.length > 0 ? median(values) : NaN;
    };
    for (const format of VARIANT_FORMATS) {
        for (const size of BENCH_SIZES) {
            const list = rows.filter((row) => row.requested === format && row.size === size);
            if (list.length === 0) continue;
            const delivered = [...new Set(list.map((row) => row.delivered))].join("/");
            const what = `${size}/${format}/… → ${delivered}`;
            const scoreDelta = medianOf(list, (row) => row.configuredScoreDelta);
            figures.push({
                // A current browser takes AVIF: the avif key's bytes are what it gets.
                name: `${what}: bytes vs today's (q${q[format]}${Number.isNaN(scoreDelta) ? "" : `, SSIMULACRA2 ${scoreDelta >= 0 ? "+" : ""}${scoreDelta.toFixed(1)}`}; at equal score q${medianOf(list, (row) => row.matchedQuality)} ${medianOf(list, (row) => row.matchedBytesRatio).toFixed(2)}×)`,
                value: medianOf(list, (row) => row.configuredBytesRatio),
                unit: "×",
                ...(format === "avif" ? { target: { op: "<=" as const, value: 0.7 } } : {}),
            });
            figures.push({
                name: `${what}: first hit vs today's (handler end to end)`,
                value: medianOf(list, (row) => row.firstHitRatio),
                unit: "×",
                target: { op: "<=", value: 3 },
            });
            const worst = list.reduce((a, b) => (a.firstHitRatio >= b.firstHitRatio ? a : b));
            figures.push({
                name: `${what}: first hit, slowest photo (${worst.image}; vs the JPEG variant as configured ${worst.firstHitVsJpegRatio.toFixed(2)}×)`,
                value: worst.firstHitRatio,
                unit: "×",
                target: { op: "<=", value: 3 },
            });
            figures.push({
                name: `${size}/${format}: ${format} render time vs today's (decode, resize, encode; 1 thread)`,
                value: medianOf(list, (row) => row.encodeRatio),
                unit: "×",
            });
            figures.push({
                name: `${what}: second hit vs today's (stored variant)`,
                value: medianOf(list, (row) => row.secondHitRatio),
                unit: "×",
                target: { op: "<=", value: 1.15 },
            });
        }
    }
    for (const size of BENCH_SIZES) {
        const list = rows.filter((row) => row.requested === "avif" && row.size === size);
        if (list.length === 0) continue;
        const worst = list.reduce((a, b) => (a.jpegFirstHitRatio >= b.jpegFirstHitRatio ? a : b));
        figures.push({
            name: `${size}/… → JPEG as configured (encoderSettings.ts): first hit vs today's (slowest ${worst.image} ${worst.jpegFirstHitRatio.toFixed(2)}×)`,
            value: medianOf(list, (row) => row.jpegFirstHitRatio),
            unit: "×",
            target: { op: "<=", value: 3 },
        });
    }
    const current = rows.filter((row) => row.requested === "avif");
    figures.push({
        name: "bytes to a current browser (avif keys, all sizes and photos, median) vs today's",
        value: medianOf(current, (row) => row.configuredBytesRatio),
        unit: "×",
        target: { op: "<=", value: 0.7 },
    });
    // The same at equal score: each avif key's delivered format at the quality matching today's score.
    const atEqualScore = current.map((row) =>
        row.delivered === "avif"
            ? row.matchedBytesRatio
            : rows.find((other) => other.requested === "webp" && other.image === row.image && other.size === row.size)
                  ?.matchedBytesRatio,
    );
    if (atEqualScore.every((value) => value !== undefined)) {
        figures.push({
            name: "bytes to a current browser at equal SSIMULACRA2 (delivered format at its matched quality, median)",
            value: median(atEqualScore as number[]),
            unit: "×",
            target: { op: "<=", value: 0.7 },
        });
    }
    return figures;
}

// `npx ts-node -T bench/formatBench.ts [--corpus DIR] [--runs N]`: this section alone (npm run bench runs it too).
if (require.main === module) {
    (async () => {
        const { withSectionS3 } = await import("./sectionS3");
        const { sectionArguments } = await import("./corpus");
        const { images, runs } = await sectionArguments(process.argv.slice(2), 3);
        await withSectionS3(async (s3, bucket) => {
            const { rows, ssimulacra2 } = await benchFormats(images, s3, bucket, runs, console.log);
            console.log(`ssimulacra2: ${ssimulacra2 ?? "not found"}`);
            for (const figure of formatFigures(rows)) {
                const met = figure.target ? (figure.value <= figure.target.value ? "met" : "MISSED") : "";
                console.log(`${figure.name}: ${figure.value.toFixed(2)} ${figure.unit} ${met}`);
            }
            fs.writeFileSync(path.join(os.tmpdir(), "format-bench.json"), JSON.stringify(rows, null, 2));
        });
    })().catch((error) => {
        console.error(error);
        process.exit(1);
    });
}
