// The Resizer's container server (resizerRuntime fargate) as a process: first-hit resizes per second through it
// (HTTP, S3 read and write included) at concurrency 1, 2 and 4, against raw sharp (renderVariant on in-memory
// buffers) at the same concurrency in this process; and one 30 MB original made into a 2048 px variant larger
// than Lambda's 6 MB answer, which the container answers directly.
import * as http from "http";
import sharp from "sharp";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { renderVariant } from "../functions/resize/renderVariant";
import { MAX_INLINE_BASE64_BYTES } from "../functions/resize/resize";
import { ResizeSettings } from "../functions/resize/settings";
import { startContainer } from "../tests/support/resizeContainer";
import { BenchImage } from "./corpus";
import { Figure } from "./figures";
import { round } from "./stats";

export const CONTAINER_CONCURRENCY = [1, 2, 4];

export interface ContainerRow {
    concurrency: number;
    requests: number;
    serverPerSecond: number;
    rawPerSecond: number;
    /** server / raw: what HTTP, S3 and the handler cost on top of sharp itself. */
    ratio: number;
}

export interface LargeVariant {
    originalBytes: number;
    status: number;
    variantBytes: number;
    /** Lambda answers at most MAX_INLINE_BASE64_BYTES of base64: above it, it would have redirected. */
    overLambdaLimit: boolean;
    ms: number;
}

function get(port: number, urlPath: string): Promise<{ status: number; bytes: number }> {
    return new Promise((resolve, reject) =>
        http
            .get({ host: "127.0.0.1", port, path: urlPath }, (res) => {
                let bytes = 0;
                res.on("data", (chunk: Buffer) => {
                    bytes += chunk.length;
                });
                res.on("end", () => resolve({ status: res.statusCode!, bytes }));
                res.on("error", reject);
            })
            .on("error", reject),
    );
}

/** Runs `task(i)` for i < count with at most `concurrency` at once; resolves to the wall time in ms. */
async function timed(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
    let next = 0;
    const started = performance.now();
    await Promise.all(
        Array.from({ length: concurrency }, async () => {
            while (next < count) await task(next++);
        }),
    );
    return performance.now() - started;
}

export async function benchContainer(
    images: BenchImage[],
    s3: S3Client,
    s3Endpoint: string,
    bucket: string,
    rounds: number,
): Promise<{ rows: ContainerRow[]; large: LargeVariant }> {
    const settings: ResizeSettings = {
        bucket,
        uploadPrefix: "uploads/",
        allowedResolutions: [], // any size: every request below is a new variant, so a real first-hit resize
        maxDimension: 2048,
        fit: "cover",
        gravity: "centre",
        quality: 80,
        limitInputPixels: 50_000_000,
        metricsNamespace: "image-pipeline/bench",
    };
    for (const image of images) {
        await s3.send(
            new PutObjectCommand({
                Bucket: bucket,
                Key: `uploads/container-${image.name}`,
                Body: image.bytes,
                ContentType: image.contentType,
            }),
        );
    }
    const { child, port } = await startContainer(settings, s3Endpoint);
    try {
        const rows: ContainerRow[] = [];
        let unique = 0;
        for (const concurrency of CONTAINER_CONCURRENCY) {
            const count = images.length * rounds;
            const sizes = Array.from({ length: count }, () => ++unique);
            const serverMs = await timed(count, concurrency, async (i) => {
                const image = images[i % images.length];
                const answer = await get(port, `/${640 + sizes[i]}x480/uploads/container-${image.name}`);
                if (answer.status !== 200) throw new Error(`container answered ${answer.status}`);
            });
            const rawMs = await timed(count, concurrency, async (i) => {
                await renderVariant(images[i % images.length].bytes, {
                    width: 640 + sizes[i],
                    height: 480,
                    fit: settings.fit,
                    quality: settings.quality,
                    limitInputPixels: settings.limitInputPixels,
                });
            });
            const serverPerSecond = (count * 1000) / serverMs;
            const rawPerSecond = (count * 1000) / rawMs;
            rows.push({
                concurrency,
                requests: count,
                serverPerSecond,
                rawPerSecond,
                ratio: serverPerSecond / rawPerSecond,
            });
        }

        // About 30 MB of PNG noise (noise does not compress): its 2048x2048 PNG variant is far above 6 MB.
        const original = await sharp({
            create: {
                width: 3200,
                height: 3200,
                channels: 3,
                background: "#000",
                noise: { type: "gaussian", mean: 128, sigma: 60 },
            },
        })
            .png({ compressionLevel: 1 })
            .toBuffer();
        await s3.send(
            new PutObjectCommand({
                Bucket: bucket,
                Key: "uploads/container-large.png",
                Body: original,
                ContentType: "image/png",
            }),
        );
        const started = performance.now();
        const answer = await get(port, "/2048x2048/uploads/container-large.png");
        const ms = performance.now() - started;
        return {
            rows,
            large: {
                originalBytes: original.length,
                status: answer.status,
                variantBytes: answer.bytes,
                overLambdaLimit: Math.ceil(answer.bytes / 3) * 4 > MAX_INLINE_BASE64_BYTES,
                ms,
            },
        };
    } finally {
        child.kill("SIGTERM");
        await new Promise((resolve) => child.once("exit", resolve));
    }
}

/** The table's figures: the server against raw sharp at each concurrency, and the large variant answered whole. */
export function containerFigures(container: { rows: ContainerRow[]; large: LargeVariant }): Figure[] {
    const { large } = container;
    return [
        ...container.rows.map((row) => ({
            name: `concurrency ${row.concurrency}: server/raw sharp (${round(row.serverPerSecond, 2)} / ${round(row.rawPerSecond, 2)} img/s)`,
            value: row.ratio,
            unit: "×",
        })),
        {
            name: `${round(large.originalBytes / 1e6)} MB original → 2048x2048: ${round(large.variantBytes / 1e6)} MB answered directly, status ${large.status} (${round(large.ms, 0)} ms)`,
            value: large.status === 200 && large.overLambdaLimit ? 1 : 0,
            unit: "",
            target: { op: "==", value: 1 },
        },
    ];
}
