// The speed knobs of AVIF and WebP at every default size (`npm run bench` section "formats", or alone: `npx ts-node
// -T bench/effortBench.ts [--corpus DIR] [--runs N]`): libaom's effort and chroma subsampling, libwebp's effort
// (method), each candidate's whole render against today's JPEG render (libvips' default encoder) from the original
// as ingest stores it, run alternately, and its bytes at equal SSIMULACRA2. What encoderSettings.ts's AVIF_ENCODER
// and WEBP_ENCODER were chosen by.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import sharp, { Sharp } from "sharp";
import { AVIF_ENCODER, encoderQuality, WEBP_ENCODER } from "../functions/resize/encoderSettings";
import { BenchImage, storedOriginal } from "./corpus";
import { Figure } from "./figures";
import { libvipsDefaultJpeg } from "./jpegBench";
import { BENCH_SIZES } from "./resizeBench";
import { ssimulacra2Score, toolPath } from "./ssimulacra2";
import { median, sideBySide } from "./stats";

const QUALITY = 80; // resizeQuality's default

/** One encoder setting tried: AVIF with an effort and chroma subsampling, or WebP with an effort. */
export type EffortCandidate =
    | { format: "avif"; effort: number; chromaSubsampling: "4:2:0" | "4:4:4" }
    | { format: "webp"; effort: number };

export const EFFORT_CANDIDATES: EffortCandidate[] = [
    { format: "avif", effort: 0, chromaSubsampling: "4:4:4" },
    { format: "avif", effort: 1, chromaSubsampling: "4:4:4" },
    { format: "avif", effort: 0, chromaSubsampling: "4:2:0" },
    { format: "avif", effort: 2, chromaSubsampling: "4:4:4" },
    { format: "webp", effort: 4 },
    { format: "webp", effort: 3 },
    { format: "webp", effort: 2 },
];

const describeCandidate = (candidate: EffortCandidate) =>
    candidate.format === "avif"
        ? `AVIF effort ${candidate.effort} ${candidate.chromaSubsampling}`
        : `WebP effort ${candidate.effort}`;

/** The candidate's encoder at a quality (its own scale), on a pipeline. */
function encode(pipeline: Sharp, candidate: EffortCandidate, quality: number): Sharp {
    return candidate.format === "avif"
        ? pipeline.avif({ quality, effort: candidate.effort, chromaSubsampling: candidate.chromaSubsampling })
        : pipeline.webp({ quality, effort: candidate.effort });
}

export interface EffortRow {
    image: string;
    size: string;
    candidate: string;
    /** Bytes / today's at the quality of equal SSIMULACRA2 (undefined without ssimulacra2). */
    matchedBytesRatio?: number;
    /** The whole render (decode, resize, encode at the configured quality) / today's JPEG render, median of
     *  alternating pairs. */
    renderRatio: number;
}

/** Each candidate at every default size, one thread (the Lambda default). libaom's cpu-used is 9 - effort;
 *  libwebp's method is the effort. */
export async function benchEfforts(images: BenchImage[], runs: number): Promise<EffortRow[]> {
    const tool = toolPath("ssimulacra2");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-effort-"));
    const rows: EffortRow[] = [];
    sharp.concurrency(1);
    try {
        for (const image of images.filter((candidate) => candidate.contentType === "image/jpeg")) {
            const original = await storedOriginal(image);
            for (const size of BENCH_SIZES) {
                const [width, height] = size.split("x").map(Number);
                const resize = () =>
                    sharp(original, { limitInputPixels: 5e7, failOn: "error" })
                        .autoOrient()
                        .resize({ width, height, fit: "cover" })
                        .keepIccProfile();
                const today = () => resize().jpeg(libvipsDefaultJpeg(QUALITY)).toBuffer();
                const todayBytes = await today();
                const resized = await resize().raw().toBuffer({ resolveWithObject: true });
                const { width: w, height: h, channels } = resized.info;
                const pixels = () => sharp(resized.data, { raw: { width: w, height: h, channels } });
                const reference = path.join(dir, "reference.png");
                await pixels().png({ compressionLevel: 1 }).toFile(reference);
                const todayScore = tool ? await ssimulacra2Score(tool, dir, reference, todayBytes) : undefined;
                for (const candidate of EFFORT_CANDIDATES) {
                    let matchedBytesRatio: number | undefined;
                    if (tool && todayScore !== undefined) {
                        let [low, high] = [1, 100];
                        while (low < high) {
                            const quality = (low + high) >> 1;
                            const bytes = await encode(pixels(), candidate, quality).toBuffer();
                            if ((await ssimulacra2Score(tool, dir, reference, bytes)) >= todayScore) high = quality;
                            else low = quality + 1;
                        }
                        matchedBytesRatio =
                            (await encode(pixels(), candidate, low).toBuffer()).length / todayBytes.length;
                    }
                    const offset = (candidate.format === "avif" ? AVIF_ENCODER : WEBP_ENCODER).qualityOffset;
                    const configuredQuality = encoderQuality(QUALITY, offset);
                    const time = await sideBySide(
                        runs,
                        () => encode(resize(), candidate, configuredQuality).toBuffer(),
                        today,
                    );
                    rows.push({
                        image: image.name,
                        size,
                        candidate: describeCandidate(candidate),
                        ...(matchedBytesRatio === undefined ? {} : { matchedBytesRatio }),
                        renderRatio: time.ratio,
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

/** One figure per candidate and size: medians over the photos, and the slowest photo. */
export function effortFigures(rows: EffortRow[]): Figure[] {
    const keyOf = (row: EffortRow) => `${row.candidate} at ${row.size}`;
    return [...new Set(rows.map(keyOf))].map((key) => {
        const list = rows.filter((row) => keyOf(row) === key);
        const bytes = list.map((row) => row.matchedBytesRatio).filter((value): value is number => value !== undefined);
        const slowest = list.reduce((a, b) => (a.renderRatio >= b.renderRatio ? a : b));
        return {
            name: `${key}: render time vs today's JPEG (slowest ${slowest.image} ${slowest.renderRatio.toFixed(2)}×; bytes at equal score ${bytes.length ? median(bytes).toFixed(2) : "?"}×)`,
            value: median(list.map((row) => row.renderRatio)),
            unit: "×",
        };
    });
}

if (require.main === module) {
    (async () => {
        const { sectionArguments } = await import("./corpus");
        const { images, runs } = await sectionArguments(process.argv.slice(2), 5);
        for (const figure of effortFigures(await benchEfforts(images, runs)))
            console.log(`${figure.name}: ${figure.value.toFixed(2)} ${figure.unit}`);
    })().catch((error) => {
        console.error(error);
        process.exit(1);
    });
}
