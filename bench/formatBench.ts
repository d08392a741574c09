// Variant formats: AVIF and WebP against today's output (the original's format: JPEG q80 for the corpus photos),
// per size. Quality is matched at equal SSIMULACRA2 (the reference tool, /usr/local/bin/ssimulacra2 or on PATH;
// it reads PNG, so every candidate is decoded to PNG first) by bisection over the encoder's quality, with the
// encoder settings of functions/resize/variantFormat.ts. Times are ratios against today's in the same run.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import sharp, { Sharp } from "sharp";
import { DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createResizeHandler } from "../functions/resize/resize";
import { renderVariant } from "../functions/resize/renderVariant";
import { AVIF_ENCODER, AVIF_MAX_PIXELS, encoderQuality, WEBP_ENCODER } from "../functions/resize/variantFormat";
import { formatVariantKey, UPLOADS_PREFIX, VARIANT_FORMATS, VariantFormat } from "../functions/shared/bucketLayout";
import { BenchImage } from "./corpus";
import { BENCH_SIZES } from "./resizeBench";
import { median, timeRuns } from "./stats";
import { ssimulacra2Score, toolPath } from "./ssimulacra2";

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
    /** The resize handler end to end (loopback S3 read, render, store, answer) / today's, first and second hit. */
    firstHitRatio: number;
    secondHitRatio: number;
}

/** The encoder of variantFormat.ts at a given quality, on a resize pipeline. */
function encode(pipeline: Sharp, format: VariantFormat, quality: number): Sharp {
    return format === "avif"
        ? pipeline.avif({ quality, effort: AVIF_ENCODER.effort, chromaSubsampling: AVIF_ENCODER.chromaSubsampling })
        : pipeline.webp({ quality, effort: WEBP_ENCODER.effort });
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
            quality: QUALITY,
            limitInputPixels: 50_000_000,
            formats: [...VARIANT_FORMATS],
        },
    });
    const hit = async (key: string) => {
        const result = await handler({ rawPath: `/${key}`, requestContext: { http: { method: "GET" } } });
        if (result.statusCode !== 200 && result.statusCode !== 307)
            throw new Error(`resize ${key}: ${result.statusCode} ${result.body.slice(0, 200)}`);
        return result;
    };
    const render = (image: BenchImage, width: number, height: number, format?: VariantFormat, avifMaxPixels?: number) =>
        renderVariant(image.bytes, {
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
            const originalKey = `${UPLOADS_PREFIX}format-bench/${image.name}`;
            await s3.send(
                new PutObjectCommand({
                    Bucket: bucket,
                    Key: originalKey,
                    Body: image.bytes,
                    ContentType: image.contentType,
                }),
            );
            for (const size of BENCH_SIZES) {
                const [width, height] = size.split("x").map(Number);
                // Resized once, losslessly: the reference every candidate is scored against, and the pixels the
                // quality search encodes (without decoding the original again at each step).
                const resized = await sharp(image.bytes)
                    .autoOrient()
                    .resize({ width, height, fit: "cover" })
                    .raw()
                    .toBuffer({ resolveWithObject: true });
                const { width: w, height: h, channels } = resized.info;
                const pipeline = () => sharp(resized.data, { raw: { width: w, height: h, channels } });
                const reference = path.join(dir, "reference.png");
                await pipeline().png({ compressionLevel: 1 }).toFile(reference);
                const today = await render(image, width, height);
                const todayScore = tool ? await score(reference, today.bytes) : undefined;
                const todayRender = median(await timeRuns(runs, 1, () => render(image, width, height)));
                const todayKey = formatVariantKey(size, undefined, originalKey);
                const drop = (key: string) => () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
                const todayFirst = median(await timeRuns(runs, 1, () => hit(todayKey), drop(todayKey)));
                const todaySecond = median(await timeRuns(runs, 1, () => hit(todayKey)));

                for (const format of VARIANT_FORMATS) {
                    const key = formatVariantKey(size, format, originalKey);
                    // What the Resizer answers for this key (the size rule applied), and the format forced.
                    const configured = await render(image, width, height, format, AVIF_MAX_PIXELS);
                    const row: FormatRow = {
                        image: image.name,
                        size,
                        requested: format,
                        delivered: configured.contentType.replace("image/", ""),
                        configuredBytesRatio: configured.bytes.length / today.bytes.length,
                        encodeRatio:
                            median(await timeRuns(runs, 1, () => render(image, width, height, format, Infinity))) /
                            todayRender,
                        firstHitRatio: median(await timeRuns(runs, 1, () => hit(key), drop(key))) / todayFirst,
                        secondHitRatio: median(await timeRuns(runs, 1, () => hit(key))) / todaySecond,
                    };
                    if (tool && todayScore !== undefined) {
                        row.todayScore = todayScore;
                        row.configuredScoreDelta = (await score(reference, configured.bytes)) - todayScore;
                        // The lowest quality whose score reaches today's (scores rise with quality, near enough).
                        let [low, high] = [1, 100];
                        while (low < high) {
                            const quality = (low + high) >> 1;
                            const bytes = await encode(pipeline(), format, quality).toBuffer();
                            if ((await score(reference, bytes)) >= todayScore) high = quality;
                            else low = quality + 1;
                        }
                        row.matchedQuality = low;
                        row.matchedBytesRatio =
                            (await encode(pipeline(), format, low).toBuffer()).length / today.bytes.length;
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

export interface AvifTuningRow {
    image: string;
    size: string;
    effort: number;
    chromaSubsampling: "4:2:0" | "4:4:4";
    threads: number;
    /** Bytes / today's at the quality of equal SSIMULACRA2 (undefined without ssimulacra2). */
    matchedBytesRatio?: number;
    /** Encode (from resized pixels) + today's decode and resize, / today's whole render. */
    renderRatio: number;
}

/** AVIF's speed knobs at the sizes where its first hit is slow: effort, chroma subsampling, threads. */
export async function benchAvifTuning(images: BenchImage[], runs: number): Promise<AvifTuningRow[]> {
    const tool = toolPath("ssimulacra2");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-avif-"));
    const rows: AvifTuningRow[] = [];
    const candidates = [
        { effort: 1, chromaSubsampling: "4:2:0", threads: 1 },
        { effort: 2, chromaSubsampling: "4:2:0", threads: 1 },
        { effort: 2, chromaSubsampling: "4:4:4", threads: 1 },
        { effort: 3, chromaSubsampling: "4:2:0", threads: 1 },
        { effort: 3, chromaSubsampling: "4:2:0", threads: 2 },
        { effort: 4, chromaSubsampling: "4:2:0", threads: 1 },
    ] as const;
    try {
        for (const image of images.filter((candidate) => candidate.contentType === "image/jpeg")) {
            for (const size of ["640x480", "1280x720"]) {
                const [width, height] = size.split("x").map(Number);
                sharp.concurrency(1);
                const today = () =>
                    renderVariant(image.bytes, {
                        width,
                        height,
                        fit: "cover",
                        quality: QUALITY,
                        limitInputPixels: 5e7,
                    });
                const todayMs = median(await timeRuns(runs, 1, today));
                const todayBytes = (await today()).bytes;
                const resized = await sharp(image.bytes)
                    .autoOrient()
                    .resize({ width, height, fit: "cover" })
                    .raw()
                    .toBuffer({ resolveWithObject: true });
                const { width: w, height: h, channels } = resized.info;
                const pixels = () => sharp(resized.data, { raw: { width: w, height: h, channels } });
                const resizeMs = median(
                    await timeRuns(runs, 1, () =>
                        sharp(image.bytes).autoOrient().resize({ width, height, fit: "cover" }).raw().toBuffer(),
                    ),
                );
                const reference = path.join(dir, "reference.png");
                await pixels().png({ compressionLevel: 1 }).toFile(reference);
                const todayScore = tool ? await ssimulacra2Score(tool, dir, reference, todayBytes) : undefined;
                for (const candidate of candidates) {
                    const avif = (quality: number) =>
                        pixels().avif({
                            quality,
                            effort: candidate.effort,
                            chromaSubsampling: candidate.chromaSubsampling,
                        });
                    let matchedBytesRatio: number | undefined;
                    if (tool && todayScore !== undefined) {
                        let [low, high] = [1, 100];
                        while (low < high) {
                            const quality = (low + high) >> 1;
                            const bytes = await avif(quality).toBuffer();
                            if ((await ssimulacra2Score(tool, dir, reference, bytes)) >= todayScore) high = quality;
                            else low = quality + 1;
                        }
                        matchedBytesRatio = (await avif(low).toBuffer()).length / todayBytes.length;
                    }
                    sharp.concurrency(candidate.threads);
                    const encodeMs = median(
                        await timeRuns(runs, 1, () =>
                            avif(encoderQuality(QUALITY, AVIF_ENCODER.qualityOffset)).toBuffer(),
                        ),
                    );
                    sharp.concurrency(1);
                    rows.push({
                        image: image.name,
                        size,
                        ...candidate,
                        ...(matchedBytesRatio === undefined ? {} : { matchedBytesRatio }),
                        renderRatio: (resizeMs + encodeMs) / todayMs,
                    });
                }
            }
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        sharp.concurrency(0);
    }
    return rows;
}

/** One figure per AVIF candidate and size: medians over the photos. */
export function avifTuningFigures(rows: AvifTuningRow[]): FormatFigure[] {
    const keys = [
        ...new Set(
            rows.map((row) => `${row.size} effort ${row.effort} ${row.chromaSubsampling} ${row.threads} thread(s)`),
        ),
    ];
    return keys.map((key) => {
        const list = rows.filter(
            (row) => `${row.size} effort ${row.effort} ${row.chromaSubsampling} ${row.threads} thread(s)` === key,
        );
        const bytes = list.map((row) => row.matchedBytesRatio).filter((value): value is number => value !== undefined);
        return {
            name: `AVIF ${key}: render time vs today's (bytes at equal score ${bytes.length ? median(bytes).toFixed(2) : "?"}×)`,
            value: median(list.map((row) => row.renderRatio)),
            unit: "×",
        };
    });
}

export interface FormatFigure {
    name: string;
    value: number;
    unit: string;
    target?: { op: "<="; value: number };
}

/** The table's figures: medians over the corpus photos, per format and size, and the current browser's bytes. */
export function formatFigures(rows: FormatRow[]): FormatFigure[] {
    const figures: FormatFigure[] = [];
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
                name: `${what}: first hit, slowest photo (${worst.image})`,
                value: worst.firstHitRatio,
                unit: "×",
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
        const { startLocalS3, LOCAL_CREDENTIALS, LOCAL_REGION } = await import("../local/s3/localS3");
        const { createS3Client } = await import("../functions/shared/s3Client");
        const { generateCorpus, loadCorpus } = await import("./corpus");
        const args = process.argv.slice(2);
        const corpusAt = args.indexOf("--corpus");
        const runsAt = args.indexOf("--runs");
        const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
        const images =
            corpusAt >= 0
                ? await loadCorpus(path.resolve(args[corpusAt + 1]))
                : await generateCorpus(path.resolve(__dirname, "..", ".build", "bench-corpus"));
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-s3-"));
        const server = await startLocalS3({
            directory: dataDir,
            bucket: "bench",
            corsOrigins: ["http://localhost"],
            port: 0,
        });
        const s3 = createS3Client({
            endpoint: server.backendUrl,
            region: LOCAL_REGION,
            credentials: LOCAL_CREDENTIALS,
        });
        try {
            if (args.includes("--tuning")) {
                const tuning = await benchAvifTuning(images, runs);
                for (const figure of avifTuningFigures(tuning))
                    console.log(`${figure.name}: ${figure.value.toFixed(2)} ×`);
                return;
            }
            const { rows, ssimulacra2 } = await benchFormats(images, s3, "bench", runs, console.log);
            console.log(`ssimulacra2: ${ssimulacra2 ?? "not found"}`);
            for (const figure of formatFigures(rows)) {
                const met = figure.target ? (figure.value <= figure.target.value ? "met" : "MISSED") : "";
                console.log(`${figure.name}: ${figure.value.toFixed(2)} ${figure.unit} ${met}`);
            }
            fs.writeFileSync(path.join(dataDir, "..", "format-bench.json"), JSON.stringify(rows, null, 2));
        } finally {
            s3.destroy();
            await server.close();
            fs.rmSync(dataDir, { recursive: true, force: true });
        }
    })().catch((error) => {
        console.error(error);
        process.exit(1);
    });
}
