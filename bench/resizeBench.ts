// Resize, first hit: the resize handler end to end (read the original from the loopback S3, resize, store,
// respond) against the same sharp pipeline on an in-memory buffer, and against vipsthumbnail where installed.
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import sharp from "sharp";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createResizeHandler } from "../functions/resize/resize";
import { renderVariant } from "../functions/resize/renderVariant";
import { UPLOADS_PREFIX } from "../functions/shared/bucketLayout";
import { BenchImage } from "./corpus";
import { Figure } from "./figures";
import { median, round, timeRuns } from "./stats";

export const BENCH_SIZES = ["300x300", "640x480", "1280x720"];

export interface ResizeRow {
    image: string;
    size: string;
    handlerMs: number;
    rawMs: number;
    /** What the handler cannot skip: reading the original and writing a variant-sized object, same client. */
    s3IoMs: number;
    ratio: number;
    vipsMs?: number;
    sharpVsVips?: number;
    imagesPerSecond: number;
}

export function vipsthumbnailPath(): string | undefined {
    try {
        return execFileSync("sh", ["-c", "command -v vipsthumbnail"], { encoding: "utf8" }).trim() || undefined;
    } catch {
        return undefined;
    }
}

export async function benchResize(
    images: BenchImage[],
    s3: S3Client,
    bucket: string,
    runs: number,
): Promise<ResizeRow[]> {
    sharp.concurrency(1); // "images/s on one thread", and the same for every contender
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
            quality: 80,
            limitInputPixels: 50_000_000,
            metricsNamespace: "image-pipeline/bench",
        },
    });
    const vips = vipsthumbnailPath();
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-vips-"));
    const run = promisify(execFile);
    const vipsEnv = { ...process.env, VIPS_CONCURRENCY: "1" };
    const spawnMs = vips ? median(await timeRuns(runs, 1, () => run(vips, ["--vips-version"], { env: vipsEnv }))) : 0;

    const rows: ResizeRow[] = [];
    for (const image of images) {
        const key = `uploads/${image.name}`;
        await s3.send(
            new PutObjectCommand({ Bucket: bucket, Key: key, Body: image.bytes, ContentType: image.contentType }),
        );
        for (const size of BENCH_SIZES) {
            const [width, height] = size.split("x").map(Number);
            const variantKey = `${size}/${key}`;
            const handlerTimes = await timeRuns(
                runs,
                1,
                async () => {
                    const result = await handler({
                        rawPath: `/${variantKey}`,
                        requestContext: { http: { method: "GET" } },
                    });
                    if (result.statusCode !== 200 && result.statusCode !== 307)
                        throw new Error(`resize ${variantKey}: ${result.statusCode} ${result.body.slice(0, 200)}`);
                },
                () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: variantKey })),
            );
            let variantBytes: Buffer = Buffer.alloc(0);
            const rawTimes = await timeRuns(runs, 1, async () => {
                variantBytes = (
                    await renderVariant(image.bytes, {
                        width,
                        height,
                        fit: "cover",
                        quality: 80,
                        limitInputPixels: 50_000_000,
                    })
                ).bytes;
            });
            const ioTimes = await timeRuns(runs, 1, async () => {
                const original = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
                await original.Body!.transformToByteArray();
                await s3.send(
                    new PutObjectCommand({ Bucket: bucket, Key: `io-probe/${variantKey}`, Body: variantBytes }),
                );
            });
            const row: ResizeRow = {
                image: image.name,
                size,
                s3IoMs: median(ioTimes),
                handlerMs: median(handlerTimes),
                rawMs: median(rawTimes),
                ratio: median(handlerTimes) / median(rawTimes),
                imagesPerSecond: 1000 / median(rawTimes),
            };
            if (vips) {
                const output = path.join(
                    outDir,
                    `out${path.extname(image.name)}${image.contentType === "image/jpeg" ? "[Q=80]" : ""}`,
                );
                const vipsTimes = await timeRuns(runs, 1, () =>
                    run(vips, [image.file, "--size", size, "--smartcrop", "centre", "-o", output], { env: vipsEnv }),
                );
                row.vipsMs = Math.max(0.1, median(vipsTimes) - spawnMs); // without the process start
                row.sharpVsVips = row.vipsMs / row.rawMs;
            }
            rows.push(row);
        }
    }
    fs.rmSync(outDir, { recursive: true, force: true });
    sharp.concurrency(0);
    return rows;
}

/** The table's figures: per image and size, the handler against raw sharp (and sharp against vipsthumbnail when
 *  installed); sharp's images per second on one thread. */
export function resizeFigures(rows: ResizeRow[]): Figure[] {
    const figures: Figure[] = [];
    for (const row of rows) {
        const name = `${row.image} → ${row.size}`;
        const rest = row.handlerMs - row.rawMs - row.s3IoMs;
        figures.push({
            name: `${name}: handler/raw (${round(row.handlerMs)} ms = raw ${round(row.rawMs)} + S3 I/O ${round(row.s3IoMs)} + other ${round(rest)})`,
            value: row.ratio,
            unit: "×",
            target: { op: "<=", value: 1.15 },
        });
        if (row.sharpVsVips !== undefined) {
            figures.push({
                name: `${name}: sharp vs vipsthumbnail throughput (${round(row.vipsMs!)} ms)`,
                value: row.sharpVsVips,
                unit: "×",
                target: { op: ">=", value: 1.0 },
            });
        }
    }
    figures.push({
        name: "sharp images/s on one thread (median over images and sizes)",
        value: median(rows.map((r) => r.imagesPerSecond)),
        unit: "img/s",
    });
    return figures;
}
