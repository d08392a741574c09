// Responsive sizes and smart crop. (1) What resizeGravity costs: renderVariant (decode, resize, crop, encode) of each
// cover size with libvips' smartcrop (attention, entropy) against the centre crop, the two run alternately
// (sideBySide). (2) A width-only size against the box of the same width (640x0 vs 640x480, 1280x0 vs 1280x720): the
// resize handler's first hit end to end (loopback S3 read, render, store, answer), run alternately, and the
// variant's bytes. Both on the originals as ingest stores them, one thread (the Lambda default).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import sharp from "sharp";
import { DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createResizeHandler } from "../functions/resize/resize";
import { renderVariant } from "../functions/resize/renderVariant";
import { UPLOADS_PREFIX } from "../functions/shared/bucketLayout";
import type { ResizeGravity } from "../functions/shared/resizeFit";
import { BenchImage, storedOriginal } from "./corpus";
import { Figure } from "./figures";
import { BENCH_SIZES } from "./resizeBench";
import { median, sideBySide } from "./stats";

const SMART_GRAVITIES: ResizeGravity[] = ["attention", "entropy"];
/** Each width-only size and the box of the same width it is compared with. */
export const WIDTH_PAIRS: Array<[string, string]> = [
    ["640x0", "640x480"],
    ["1280x0", "1280x720"],
];

export interface SmartCropRow {
    image: string;
    size: string;
    gravity: ResizeGravity;
    /** Median render time with the centre crop, and with this gravity. */
    centreMs: number;
    gravityMs: number;
    /** Median of the pairwise ratios gravity / centre. */
    ratio: number;
}

export interface WidthOnlyRow {
    image: string;
    widthOnly: string;
    box: string;
    /** The width-only variant's own size, e.g. "640x427". */
    rendered: string;
    /** First hit through the resize handler, median of pairwise ratios width-only / box. */
    firstHitRatio: number;
    bytesRatio: number;
    pixelsRatio: number;
}

const render = (original: Buffer, size: string, gravity: ResizeGravity) => {
    const [width, height] = size.split("x").map(Number);
    return renderVariant(original, { width, height, fit: "cover", gravity, quality: 80, limitInputPixels: 50_000_000 });
};

export async function benchSmartCrop(images: BenchImage[], runs: number, log: (line: string) => void = () => {}) {
    sharp.concurrency(1);
    const rows: SmartCropRow[] = [];
    try {
        for (const image of images) {
            const original = await storedOriginal(image);
            for (const size of BENCH_SIZES) {
                for (const gravity of SMART_GRAVITIES) {
                    const timed = await sideBySide(
                        runs,
                        () => render(original, size, gravity),
                        () => render(original, size, "centre"),
                    );
                    rows.push({
                        image: image.name,
                        size,
                        gravity,
                        centreMs: timed.bMs,
                        gravityMs: timed.aMs,
                        ratio: timed.ratio,
                    });
                    log(`  ${image.name} ${size} ${gravity}: ${timed.ratio.toFixed(2)}× centre's render`);
                }
            }
        }
    } finally {
        sharp.concurrency(0);
    }
    return rows;
}

export async function benchWidthOnly(
    images: BenchImage[],
    s3: S3Client,
    bucket: string,
    runs: number,
    log: (line: string) => void = () => {},
): Promise<WidthOnlyRow[]> {
    sharp.concurrency(1);
    const handler = createResizeHandler({
        s3,
        log: () => undefined,
        settings: {
            bucket,
            uploadPrefix: UPLOADS_PREFIX,
            allowedResolutions: WIDTH_PAIRS.flat(),
            maxDimension: 2048,
            fit: "cover",
            gravity: "centre",
            quality: 80,
            limitInputPixels: 50_000_000,
            metricsNamespace: "image-pipeline/bench",
        },
    });
    const hit = async (key: string) => {
        const result = await handler({ rawPath: `/${key}`, requestContext: { http: { method: "GET" } } });
        if (result.statusCode !== 200)
            throw new Error(`resize ${key}: ${result.statusCode} ${result.body.slice(0, 200)}`);
        return Buffer.from(result.body, "base64");
    };
    const drop = (key: string) => () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    const rows: WidthOnlyRow[] = [];
    try {
        for (const image of images) {
            const originalKey = `${UPLOADS_PREFIX}responsive-bench/${image.name}`;
            const body = await storedOriginal(image);
            await s3.send(
                new PutObjectCommand({ Bucket: bucket, Key: originalKey, Body: body, ContentType: image.contentType }),
            );
            for (const [widthOnly, box] of WIDTH_PAIRS) {
                const [widthKey, boxKey] = [`${widthOnly}/${originalKey}`, `${box}/${originalKey}`];
                const first = await sideBySide(
                    runs,
                    () => hit(widthKey),
                    () => hit(boxKey),
                    {
                        a: drop(widthKey),
                        b: drop(boxKey),
                    },
                );
                await drop(widthKey)();
                await drop(boxKey)();
                const [w, b] = [await hit(widthKey), await hit(boxKey)];
                const [wMeta, bMeta] = [await sharp(w).metadata(), await sharp(b).metadata()];
                const row: WidthOnlyRow = {
                    image: image.name,
                    widthOnly,
                    box,
                    rendered: `${wMeta.width}x${wMeta.height}`,
                    firstHitRatio: first.ratio,
                    bytesRatio: w.length / b.length,
                    pixelsRatio: (wMeta.width! * wMeta.height!) / (bMeta.width! * bMeta.height!),
                };
                rows.push(row);
                log(
                    `  ${image.name} ${widthOnly} (${row.rendered}) vs ${box}: first hit ${row.firstHitRatio.toFixed(2)}×, bytes ${row.bytesRatio.toFixed(2)}×, pixels ${row.pixelsRatio.toFixed(2)}×`,
                );
            }
        }
    } finally {
        sharp.concurrency(0);
    }
    return rows;
}

/** The table's figures: per size and gravity the median over the corpus and the slowest image; per width-only size
 *  the median first-hit and bytes ratios to its box. */
export function responsiveFigures(smartCrop: SmartCropRow[], widthOnly: WidthOnlyRow[]): Figure[] {
    const figures: Figure[] = [];
    for (const size of BENCH_SIZES) {
        for (const gravity of SMART_GRAVITIES) {
            const list = smartCrop.filter((row) => row.size === size && row.gravity === gravity);
            if (list.length === 0) continue;
            const worst = list.reduce((a, b) => (a.ratio >= b.ratio ? a : b));
            figures.push({
                name: `${size} cover, ${gravity} vs centre: render time (median; slowest ${worst.image} ${worst.ratio.toFixed(2)}×)`,
                value: median(list.map((row) => row.ratio)),
                unit: "×",
            });
        }
    }
    for (const [size, box] of WIDTH_PAIRS) {
        const list = widthOnly.filter((row) => row.widthOnly === size);
        if (list.length === 0) continue;
        const pixels = median(list.map((row) => row.pixelsRatio));
        figures.push({
            name: `${size} vs ${box}: first hit (handler end to end, median)`,
            value: median(list.map((row) => row.firstHitRatio)),
            unit: "×",
        });
        figures.push({
            name: `${size} vs ${box}: bytes (median; pixels ${pixels.toFixed(2)}×)`,
            value: median(list.map((row) => row.bytesRatio)),
            unit: "×",
        });
    }
    return figures;
}

// `npx ts-node -T bench/responsiveBench.ts [--corpus DIR] [--runs N]`: this section alone (npm run bench runs it too);
// the rows are written to <tmpdir>/responsive-bench.json.
if (require.main === module) {
    (async () => {
        const { withSectionS3 } = await import("./sectionS3");
        const { sectionArguments } = await import("./corpus");
        const { images, runs } = await sectionArguments(process.argv.slice(2), 5);
        await withSectionS3(async (s3, bucket) => {
            const smartCrop = await benchSmartCrop(images, runs, console.log);
            const widthOnly = await benchWidthOnly(images, s3, bucket, runs, console.log);
            for (const figure of responsiveFigures(smartCrop, widthOnly))
                console.log(`${figure.name}: ${figure.value.toFixed(2)} ${figure.unit}`);
            const out = path.join(os.tmpdir(), "responsive-bench.json");
            fs.writeFileSync(out, JSON.stringify({ smartCrop, widthOnly }, null, 2));
        });
    })().catch((error) => {
        console.error(error);
        process.exit(1);
    });
}
