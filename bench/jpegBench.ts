// JPEG variants: which of libvips' JPEG encoder settings (sharp's prebuilt libvips links mozjpeg) to send where a
// variant stays JPEG. Each candidate against libvips' own default at the same quality (sharp's `jpeg({ quality })`,
// the Resizer's encoder before issue 27): bytes at the configured quality and at equal SSIMULACRA2 (bisection over
// the candidate's quality, as bench/formatBench.ts does for AVIF and WebP), and the render time (decode, resize,
// encode; 1 thread) from the original as ingest stores it, the two run alternately so both see the same machine.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import sharp, { JpegOptions, Sharp } from "sharp";
import * as encoderSettings from "../functions/resize/encoderSettings";
import { jpegOptions } from "../functions/resize/encoderSettings";
import { BenchImage, storedOriginal } from "./corpus";
import { BENCH_SIZES } from "./resizeBench";
import { ssimulacra2Score, toolPath } from "./ssimulacra2";
import { median, sideBySide } from "./stats";
import { Figure } from "./figures";

const QUALITY = 80; // resizeQuality's default

/** libvips' default JPEG at a quality: IJG's quantisation tables (T.81 Annex K), baseline, Huffman optimised. */
export const libvipsDefaultJpeg = (quality: number): JpegOptions => ({ quality });

/**
 * Runs `run` with the Resizer's JPEG encoder as it was before issue 27 (libvips' default), so a bench can time
 * today's first hit through the same handler: encoderSettings.jpegOptions is swapped for the call (CommonJS:
 * renderVariant reads it from the module's exports at each call) and restored after.
 */
export async function withLibvipsDefaultJpeg<T>(run: () => Promise<T>): Promise<T> {
    const settings = encoderSettings as { jpegOptions: typeof jpegOptions };
    const configured = settings.jpegOptions;
    settings.jpegOptions = (quality) => libvipsDefaultJpeg(quality);
    try {
        return await run();
    } finally {
        settings.jpegOptions = configured;
    }
}

/** The settings compared (quality → sharp options). "configured" is what the Resizer uses at that size. */
export const JPEG_CANDIDATES: Record<string, (quality: number, pixels: number) => JpegOptions> = {
    "table 3, baseline": (quality) => ({ quality, quantisationTable: 3 }),
    "table 3, progressive": (quality) => ({ quality, quantisationTable: 3, progressive: true }),
    "table 3 + trellis, baseline": (quality) => ({
        quality,
        quantisationTable: 3,
        trellisQuantisation: true,
        overshootDeringing: true,
    }),
    "mozjpeg preset (trellis, optimised progressive scans, table 3)": (quality) => ({ quality, mozjpeg: true }),
    configured: (quality, pixels) => jpegOptions(quality, pixels),
};

export interface JpegRow {
    image: string;
    size: string;
    candidate: string;
    /** libvips' default at QUALITY: its bytes and SSIMULACRA2 against the losslessly resized image. */
    defaultBytes: number;
    defaultScore?: number;
    /** At resizeQuality QUALITY: bytes / the default's, and score minus the default's. */
    bytesRatio: number;
    scoreDelta?: number;
    /** The lowest quality reaching the default's score, and its bytes / the default's. */
    matchedQuality?: number;
    matchedBytesRatio?: number;
    /** Render (decode, resize, encode) / the default's render, median of alternating pairs. */
    renderRatio: number;
    renderMs: number;
    defaultRenderMs: number;
}

export async function benchJpegEncoders(
    images: BenchImage[],
    runs: number,
    log: (line: string) => void = () => undefined,
): Promise<JpegRow[]> {
    const tool = toolPath("ssimulacra2");
    if (!tool) log("ssimulacra2 not found: JPEG encoders compared by bytes at the same quality only");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-jpeg-"));
    sharp.concurrency(1); // the Lambda default (1536 MB: one vCPU)
    const rows: JpegRow[] = [];
    try {
        for (const image of images.filter((candidate) => candidate.contentType === "image/jpeg")) {
            const original = await storedOriginal(image);
            for (const size of BENCH_SIZES) {
                const [width, height] = size.split("x").map(Number);
                const resizeOf = () =>
                    sharp(original, { failOn: "error" })
                        .autoOrient()
                        .resize({ width, height, fit: "cover" })
                        .keepIccProfile();
                const resized = await resizeOf().raw().toBuffer({ resolveWithObject: true });
                const { width: w, height: h, channels } = resized.info;
                const pixels = () => sharp(resized.data, { raw: { width: w, height: h, channels } });
                const reference = path.join(dir, "reference.png");
                await pixels().png({ compressionLevel: 1 }).toFile(reference);
                const score = (bytes: Buffer) => ssimulacra2Score(tool!, dir, reference, bytes);
                const encode = (pipeline: Sharp, options: JpegOptions) => pipeline.jpeg(options).toBuffer();
                const standard = await encode(pixels(), libvipsDefaultJpeg(QUALITY));
                const defaultScore = tool ? await score(standard) : undefined;
                for (const [candidate, options] of Object.entries(JPEG_CANDIDATES)) {
                    const at = (quality: number) => options(quality, w * h);
                    const bytes = await encode(pixels(), at(QUALITY));
                    const time = await sideBySide(
                        runs,
                        () => encode(resizeOf(), at(QUALITY)),
                        () => encode(resizeOf(), libvipsDefaultJpeg(QUALITY)),
                    );
                    const row: JpegRow = {
                        image: image.name,
                        size,
                        candidate,
                        defaultBytes: standard.length,
                        bytesRatio: bytes.length / standard.length,
                        renderRatio: time.ratio,
                        renderMs: time.aMs,
                        defaultRenderMs: time.bMs,
                    };
                    if (defaultScore !== undefined) {
                        row.defaultScore = defaultScore;
                        row.scoreDelta = (await score(bytes)) - defaultScore;
                        let [low, high] = [1, 100];
                        while (low < high) {
                            const quality = (low + high) >> 1;
                            if ((await score(await encode(pixels(), at(quality)))) >= defaultScore) high = quality;
                            else low = quality + 1;
                        }
                        row.matchedQuality = low;
                        row.matchedBytesRatio = (await encode(pixels(), at(low))).length / standard.length;
                    }
                    log(
                        `  ${image.name} ${size} ${candidate}: q${QUALITY} ${row.bytesRatio.toFixed(3)}× (score ${row.scoreDelta?.toFixed(1) ?? "?"}), equal score q${row.matchedQuality ?? "?"} ${row.matchedBytesRatio?.toFixed(3) ?? "?"}×, render ${row.renderRatio.toFixed(2)}× (${time.aMs.toFixed(1)} / ${time.bMs.toFixed(1)} ms)`,
                    );
                    rows.push(row);
                }
            }
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        sharp.concurrency(0);
    }
    return rows;
}

/** Per size and candidate, medians over the photos: bytes at equal score (the value), at q80, render time. */
export function jpegFigures(rows: JpegRow[]): Figure[] {
    const figures: Figure[] = [];
    const medianOf = (list: JpegRow[], pick: (row: JpegRow) => number | undefined) => {
        const values = list.map(pick).filter((value): value is number => value !== undefined);
        return values.length > 0 ? median(values) : NaN;
    };
    for (const size of BENCH_SIZES) {
        for (const candidate of Object.keys(JPEG_CANDIDATES)) {
            const list = rows.filter((row) => row.size === size && row.candidate === candidate);
            if (list.length === 0) continue;
            const equal = medianOf(list, (row) => row.matchedBytesRatio);
            const delta = medianOf(list, (row) => row.scoreDelta);
            const scoreText = Number.isNaN(delta) ? "" : `, SSIMULACRA2 ${delta >= 0 ? "+" : ""}${delta.toFixed(1)}`;
            const equalText = Number.isNaN(equal) ? "" : `; at equal score ${equal.toFixed(2)}×`;
            figures.push({
                name: `JPEG ${size} ${candidate}: bytes vs libvips' default q${QUALITY} (same q ${medianOf(list, (row) => row.bytesRatio).toFixed(2)}×${scoreText}${equalText}); render time`,
                value: medianOf(list, (row) => row.renderRatio),
                unit: "×",
            });
        }
    }
    const configured = rows.filter((row) => row.candidate === "configured");
    if (configured.length > 0) {
        figures.push({
            name: `JPEG variants as configured, every photo and size: bytes vs libvips' default at the same quality (largest)`,
            value: Math.max(...configured.map((row) => row.bytesRatio)),
            unit: "×",
            target: { op: "<=", value: 1 },
        });
    }
    return figures;
}

// `npx ts-node -T bench/jpegBench.ts [--corpus DIR] [--runs N]`: this section alone (npm run bench runs it too).
if (require.main === module) {
    (async () => {
        const { sectionArguments } = await import("./corpus");
        const { images, runs } = await sectionArguments(process.argv.slice(2), 5);
        const rows = await benchJpegEncoders(images, runs, console.log);
        for (const figure of jpegFigures(rows))
            console.log(`${figure.name}: ${figure.value.toFixed(2)} ${figure.unit}`);
        fs.writeFileSync(path.join(os.tmpdir(), "jpeg-bench.json"), JSON.stringify(rows, null, 2));
    })().catch((error) => {
        console.error(error);
        process.exit(1);
    });
}
