// Ingest: the check-and-clean step (functions/ingest/checkUpload.ts) per megapixel against a raw sharp decode of
// the same file; removing private metadata losslessly (jpegMarkers.ts) against a re-encode; and what a progressive
// JPEG costs every later resize, against the ways to normalise it: jpegtran's lossless transcode (the reference,
// where installed; the Lambda has only Node and sharp), a baseline re-encode at a few qualities (bytes and
// SSIMULACRA2 against the upload, where installed), or leaving it.
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import sharp from "sharp";
import { checkAndClean } from "../functions/ingest/checkUpload";
import { JPEG_REENCODE_QUALITY } from "../functions/ingest/cleanJpeg";
import { estimateJpegQuality } from "../functions/ingest/jpegQuality";
import { stripJpegMetadata } from "../functions/ingest/jpegMarkers";
import { renderVariant } from "../functions/resize/renderVariant";
import { ImageContentType } from "../functions/shared/imageTypes";
import { BenchImage } from "./corpus";
import { median, round, sideBySide, timeRuns } from "./stats";
import { ssimulacra2Score, toolPath } from "./ssimulacra2";
import { Figure } from "./figures";

const run = promisify(execFile);
const LIMIT_PIXELS = 100_000_000;
export const LATER_RESIZE = { width: 300, height: 300 };
export const REENCODE_QUALITIES = [85, 90, 95];

export interface IngestBench {
    tools: { jpegtran?: string; ssimulacra2?: string };
    ingest: Array<{
        image: string;
        megapixels: number;
        path: string;
        ingestMs: number;
        decodeMs: number;
        /** Median of the side-by-side ratios ingest/decode (see sideBySide). */
        ingestRatio: number;
        /** A later resize of the original as ingest stores it, and of the upload as it came. */
        storedResizeMs: number;
        uploadResizeMs: number;
        resizeRatio: number;
        storedBytes: number;
        uploadBytes: number;
        /** A JPEG upload's quality as jpegQuality.ts estimates it (what a re-encode takes, at most q95). */
        estimatedQuality?: number;
        progressive?: boolean;
        /** The stored original against the upload, where it was re-encoded. */
        ssimulacra2?: number;
    }>;
    strip: Array<{
        image: string;
        uploadBytes: number;
        lossless: { ms: number; bytes: number };
        reencode: { ms: number; bytes: number; ssimulacra2?: number };
    }>;
    progressive: Array<{
        image: string;
        candidate: string;
        bytes: number;
        uploadBytes: number;
        encodeMs?: number;
        ssimulacra2?: number;
        resizeMs: number;
        uploadResizeMs: number;
        /** upload's resize / this candidate's, median of side-by-side ratios. */
        speedup: number;
    }>;
    figures: Figure[];
}

const resize = (bytes: Buffer) =>
    renderVariant(bytes, { ...LATER_RESIZE, fit: "cover", quality: 80, limitInputPixels: LIMIT_PIXELS });

const reencode = (bytes: Buffer, quality: number) =>
    sharp(bytes, { limitInputPixels: LIMIT_PIXELS })
        .autoOrient()
        .keepIccProfile()
        .jpeg({ quality, progressive: false, mozjpeg: false })
        .toBuffer();

/** SSIMULACRA2 of `candidate` against `reference`, when the tool exists. */
const ssimulacra2 = (tool: string | undefined, dir: string, reference: string, candidate: Buffer) =>
    tool ? ssimulacra2Score(tool, dir, reference, candidate) : Promise.resolve(undefined);

/** The JPEGs the strip and progressive sections work on; a generated set gets phone-like copies (with GPS
 *  EXIF; progressive) of its largest JPEG, so every section has something to measure. */
async function jpegInputs(images: BenchImage[], dir: string) {
    const jpegs = images.filter((image) => image.contentType === "image/jpeg");
    const described = await Promise.all(
        jpegs.map(async (image) => ({ image, metadata: await sharp(image.bytes).metadata() })),
    );
    const largest = jpegs.reduce<BenchImage | undefined>(
        (a, b) => (a && a.width * a.height >= b.width * b.height ? a : b),
        undefined,
    );
    const derived = async (suffix: string, progressive: boolean) => {
        const bytes = await sharp(largest!.bytes)
            .withExif({ IFD3: { GPSLatitudeRef: "N", GPSLatitude: "37/1 33/1 59/1" } })
            .jpeg({ quality: 92, progressive })
            .toBuffer();
        const file = path.join(dir, `${largest!.name}.${suffix}.jpg`);
        fs.writeFileSync(file, bytes);
        const image: BenchImage = { ...largest!, name: `${largest!.name} (${suffix} copy)`, file, bytes };
        return { image, metadata: await sharp(bytes).metadata() };
    };
    if (largest && !described.some(({ metadata }) => metadata.exif || metadata.xmp))
        described.push(await derived("GPS", false));
    if (largest && !described.some(({ metadata }) => metadata.isProgressive))
        described.push(await derived("progressive", true));
    return described;
}

export async function benchIngest(images: BenchImage[], runs: number): Promise<IngestBench> {
    sharp.concurrency(1); // one thread for every contender, as in the resize section
    const tools = { jpegtran: toolPath("jpegtran"), ssimulacra2: toolPath("ssimulacra2") };
    if (!tools.jpegtran) console.log("jpegtran not found (apt-get install libjpeg-turbo-progs): no lossless reference");
    if (!tools.ssimulacra2) console.log("ssimulacra2 not found: re-encodes reported without SSIMULACRA2");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-ingest-"));
    const result: IngestBench = { tools, ingest: [], strip: [], progressive: [], figures: [] };
    try {
        for (const image of images) {
            const type = image.contentType as ImageContentType;
            const limits = { allowedContentTypes: [type], maxUploadBytes: 2 ** 31, limitInputPixels: LIMIT_PIXELS };
            let outcome = "";
            let stored = image.bytes;
            const ingest = await sideBySide(
                runs,
                async () => {
                    const clean = await checkAndClean(image.bytes, { contentType: type, keyType: type }, limits);
                    outcome = clean.reencoded ? "re-encoded" : clean.stripped ? "stripped losslessly" : "stored as is";
                    stored = clean.bytes;
                },
                () => sharp(image.bytes, { limitInputPixels: LIMIT_PIXELS }).raw().toBuffer(),
            );
            const later = await sideBySide(
                runs,
                () => resize(stored),
                () => resize(image.bytes),
            );
            result.ingest.push({
                image: image.name,
                megapixels: (image.width * image.height) / 1e6,
                path: outcome,
                ingestMs: ingest.aMs,
                decodeMs: ingest.bMs,
                ingestRatio: ingest.ratio,
                storedResizeMs: later.aMs,
                uploadResizeMs: later.bMs,
                resizeRatio: later.ratio,
                storedBytes: stored.length,
                uploadBytes: image.bytes.length,
                ...(type === "image/jpeg"
                    ? {
                          estimatedQuality: estimateJpegQuality(image.bytes),
                          progressive: (await sharp(image.bytes).metadata()).isProgressive,
                      }
                    : {}),
                ...(outcome === "re-encoded"
                    ? { ssimulacra2: await ssimulacra2(tools.ssimulacra2, dir, image.file, stored) }
                    : {}),
            });
        }

        for (const { image, metadata } of await jpegInputs(images, dir)) {
            if (metadata.exif || metadata.xmp || metadata.iptc) {
                let stripped: Buffer = Buffer.alloc(0);
                const losslessTimes = await timeRuns(runs, 1, async () => {
                    stripped = stripJpegMetadata(image.bytes) ?? Buffer.alloc(0);
                });
                let reencoded: Buffer = Buffer.alloc(0);
                const reencodeTimes = await timeRuns(runs, 1, async () => {
                    reencoded = await reencode(image.bytes, JPEG_REENCODE_QUALITY);
                });
                result.strip.push({
                    image: image.name,
                    uploadBytes: image.bytes.length,
                    lossless: { ms: median(losslessTimes), bytes: stripped.length },
                    reencode: {
                        ms: median(reencodeTimes),
                        bytes: reencoded.length,
                        ssimulacra2: await ssimulacra2(tools.ssimulacra2, dir, image.file, reencoded),
                    },
                });
            }
            if (!metadata.isProgressive) continue;
            const candidates: Array<{ candidate: string; bytes: Buffer; encodeMs?: number; lossless?: boolean }> = [];
            if (tools.jpegtran) {
                const out = path.join(dir, "jpegtran.jpg");
                // -copy none: metadata removed too; the output is baseline (no -progressive), coefficients as they were.
                const args = ["-copy", "none", "-outfile", out, image.file];
                const times = await timeRuns(runs, 1, () => run(tools.jpegtran!, args));
                candidates.push({
                    candidate: "jpegtran lossless baseline (process, not deployable)",
                    bytes: fs.readFileSync(out),
                    encodeMs: median(times),
                    lossless: true,
                });
            }
            const own = Math.min(JPEG_REENCODE_QUALITY, estimateJpegQuality(image.bytes) ?? JPEG_REENCODE_QUALITY);
            for (const quality of [...new Set([...REENCODE_QUALITIES, own])].sort((a, b) => a - b)) {
                let bytes: Buffer = Buffer.alloc(0);
                const times = await timeRuns(runs, 1, async () => {
                    bytes = await reencode(image.bytes, quality);
                });
                const label = quality === own ? `sharp baseline q${quality} (its own quality, at most q95)` : "";
                candidates.push({ candidate: label || `sharp baseline q${quality}`, bytes, encodeMs: median(times) });
            }
            for (const { candidate, bytes, encodeMs, lossless } of candidates) {
                const later = await sideBySide(
                    runs,
                    () => resize(image.bytes),
                    () => resize(bytes),
                );
                result.progressive.push({
                    image: image.name,
                    candidate,
                    bytes: bytes.length,
                    uploadBytes: image.bytes.length,
                    encodeMs,
                    ssimulacra2: lossless ? 100 : await ssimulacra2(tools.ssimulacra2, dir, image.file, bytes),
                    resizeMs: later.bMs,
                    uploadResizeMs: later.aMs,
                    speedup: later.ratio,
                });
            }
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        sharp.concurrency(0);
    }
    result.figures = figuresOf(result);
    return result;
}

const mb = (bytes: number) => `${round(bytes / 1e6, 2)} MB`;
const score = (value: number | undefined) => (value === undefined ? "" : `, SSIMULACRA2 ${round(value, 1)}`);

function figuresOf(bench: IngestBench): Figure[] {
    const figures: Figure[] = [];
    for (const row of bench.ingest) {
        figures.push({
            name: `${row.image} (${round(row.megapixels)} MP, ${row.path}): ingest ${round(row.ingestMs / row.megapixels)} ms/MP, check+clean/raw decode (${round(row.ingestMs)} / ${round(row.decodeMs)} ms)`,
            value: row.ingestRatio,
            unit: "×",
        });
        const jpeg =
            row.estimatedQuality === undefined
                ? ""
                : `, ${row.progressive ? "progressive" : "baseline"} q${row.estimatedQuality} (estimated)`;
        figures.push({
            name: `${row.image}${jpeg}: stored original / upload bytes (${row.path}; ${mb(row.storedBytes)} vs ${mb(row.uploadBytes)}${score(row.ssimulacra2)})`,
            value: row.storedBytes / row.uploadBytes,
            unit: "×",
            target: { op: "<=", value: 1 },
        });
        figures.push({
            name: `${row.image}: later ${LATER_RESIZE.width}x${LATER_RESIZE.height} resize, stored original/upload (${round(row.storedResizeMs)} / ${round(row.uploadResizeMs)} ms; ${mb(row.storedBytes)} vs ${mb(row.uploadBytes)})`,
            value: row.resizeRatio,
            unit: "×",
            target: { op: "<=", value: 1.1 },
        });
    }
    for (const row of bench.strip) {
        figures.push({
            name: `${row.image}: strip metadata, re-encode q${JPEG_REENCODE_QUALITY}/lossless time (${round(row.reencode.ms)} / ${round(row.lossless.ms, 2)} ms; ${mb(row.reencode.bytes)} vs ${mb(row.lossless.bytes)}, upload ${mb(row.uploadBytes)}${score(row.reencode.ssimulacra2)})`,
            value: row.reencode.ms / row.lossless.ms,
            unit: "×",
        });
    }
    for (const row of bench.progressive) {
        const encode = row.encodeMs === undefined ? "" : `, made in ${round(row.encodeMs)} ms`;
        figures.push({
            name: `${row.image} progressive → ${row.candidate}: later ${LATER_RESIZE.width}x${LATER_RESIZE.height} resize upload/normalised (${round(row.uploadResizeMs)} / ${round(row.resizeMs)} ms; ${mb(row.bytes)} = ${round(row.bytes / row.uploadBytes, 2)}× upload${score(row.ssimulacra2)}${encode})`,
            value: row.speedup,
            unit: "×",
        });
    }
    return figures;
}

// `npx ts-node -T bench/ingestBench.ts [--corpus DIR] [--runs N]`: this section alone (npm run bench runs it too).
if (require.main === module) {
    (async () => {
        const { sectionArguments } = await import("./corpus");
        const { images, runs } = await sectionArguments(process.argv.slice(2), 5);
        const bench = await benchIngest(images, runs);
        for (const figure of bench.figures) {
            const met = figure.target ? (figure.value <= figure.target.value ? " met" : " MISSED") : "";
            console.log(`${figure.name}: ${figure.value.toFixed(2)} ${figure.unit}${met}`);
        }
        fs.writeFileSync(path.join(os.tmpdir(), "ingest-bench.json"), JSON.stringify(bench, null, 2));
    })().catch((error) => {
        console.error(error);
        process.exit(1);
    });
}
