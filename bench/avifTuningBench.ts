// AVIF's speed knobs at every default size (`npm run bench` section "formats", or alone: `npx ts-node -T
// bench/avifTuningBench.ts [--corpus DIR] [--runs N]`): libaom's effort and chroma subsampling, each candidate's
// whole render against today's JPEG render (libvips' default encoder) from the original as ingest stores it, run
// alternately, and its bytes at equal SSIMULACRA2. What encoderSettings.ts's AVIF_ENCODER was chosen by.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import sharp from "sharp";
import { AVIF_ENCODER, encoderQuality } from "../functions/resize/encoderSettings";
import { BenchImage, storedOriginal } from "./corpus";
import { FormatFigure } from "./formatBench";
import { libvipsDefaultJpeg } from "./jpegBench";
import { BENCH_SIZES } from "./resizeBench";
import { ssimulacra2Score, toolPath } from "./ssimulacra2";
import { median, sideBySide } from "./stats";

const QUALITY = 80; // resizeQuality's default

export interface AvifTuningRow {
    image: string;
    size: string;
    effort: number;
    chromaSubsampling: "4:2:0" | "4:4:4";
    /** Bytes / today's at the quality of equal SSIMULACRA2 (undefined without ssimulacra2). */
    matchedBytesRatio?: number;
    /** The whole render (decode, resize, AVIF encode at the configured quality) / today's JPEG render, median
     *  of alternating pairs. */
    renderRatio: number;
}

/** AVIF's speed knobs at every default size: effort (libaom's cpu-used is 9 - effort) and chroma subsampling,
 *  one thread (the Lambda default). */
export async function benchAvifTuning(images: BenchImage[], runs: number): Promise<AvifTuningRow[]> {
    const tool = toolPath("ssimulacra2");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-avif-"));
    const rows: AvifTuningRow[] = [];
    const candidates = [
        { effort: 0, chromaSubsampling: "4:4:4" },
        { effort: 1, chromaSubsampling: "4:4:4" },
        { effort: 0, chromaSubsampling: "4:2:0" },
        { effort: 2, chromaSubsampling: "4:4:4" },
    ] as const;
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
                for (const candidate of candidates) {
                    const options = (quality: number) => ({ quality, ...candidate });
                    let matchedBytesRatio: number | undefined;
                    if (tool && todayScore !== undefined) {
                        let [low, high] = [1, 100];
                        while (low < high) {
                            const quality = (low + high) >> 1;
                            const bytes = await pixels().avif(options(quality)).toBuffer();
                            if ((await ssimulacra2Score(tool, dir, reference, bytes)) >= todayScore) high = quality;
                            else low = quality + 1;
                        }
                        matchedBytesRatio = (await pixels().avif(options(low)).toBuffer()).length / todayBytes.length;
                    }
                    const configuredQuality = encoderQuality(QUALITY, AVIF_ENCODER.qualityOffset);
                    const time = await sideBySide(
                        runs,
                        () => resize().avif(options(configuredQuality)).toBuffer(),
                        today,
                    );
                    rows.push({
                        image: image.name,
                        size,
                        ...candidate,
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

/** One figure per AVIF candidate and size: medians over the photos, and the slowest photo. */
export function avifTuningFigures(rows: AvifTuningRow[]): FormatFigure[] {
    const keyOf = (row: AvifTuningRow) => `${row.size} effort ${row.effort} ${row.chromaSubsampling}`;
    return [...new Set(rows.map(keyOf))].map((key) => {
        const list = rows.filter((row) => keyOf(row) === key);
        const bytes = list.map((row) => row.matchedBytesRatio).filter((value): value is number => value !== undefined);
        const slowest = list.reduce((a, b) => (a.renderRatio >= b.renderRatio ? a : b));
        return {
            name: `AVIF ${key}: render time vs today's JPEG (slowest ${slowest.image} ${slowest.renderRatio.toFixed(2)}×; bytes at equal score ${bytes.length ? median(bytes).toFixed(2) : "?"}×)`,
            value: median(list.map((row) => row.renderRatio)),
            unit: "×",
        };
    });
}

if (require.main === module) {
    (async () => {
        const { sectionArguments } = await import("./corpus");
        const { images, runs } = await sectionArguments(process.argv.slice(2), 5);
        for (const figure of avifTuningFigures(await benchAvifTuning(images, runs)))
            console.log(`${figure.name}: ${figure.value.toFixed(2)} ${figure.unit}`);
    })().catch((error) => {
        console.error(error);
        process.exit(1);
    });
}
