// Ingest's worst case against its Lambda timeout (functions/ingest/timeBudget.ts, retryPolicy.ts): the largest
// original limitInputPixels accepts (50 MP by default), in each upload format, with 10 eager sizes in the original's
// format and every format the CDN sends (autoFormat), on one thread (sharp.concurrency(1): one vCPU). The whole
// ingest handler runs against the loopback S3, once without a budget (how long everything takes, and its slowest
// variant) and once with the timeout as its budget, as Lambda's context gives it (how long, how many stored).
// One run each: a run takes minutes.
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";
import sharp from "sharp";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { parsePipelineConfig, projectNamespace } from "../config/stackConfig";
import { createIngestHandler } from "../functions/ingest/ingest";
import { INGEST_INVOCATION } from "../functions/ingest/retryPolicy";
import type { IngestSettings } from "../functions/ingest/settings";
import { ingestSettingsFromConfig } from "../config/functionSettings";
import { uploadKeys } from "../functions/shared/bucketLayout";
import { encodeEventKey } from "../functions/shared/s3Event";
import { readStatus } from "../functions/shared/statusStore";
import { photoLike } from "./corpus";
import { round } from "./stats";

/** Ten sizes, from a thumbnail to the largest maxResizeDimension allows by default: MAX_EAGER_RESOLUTIONS of them. */
export const BUDGET_SIZES = [
    "160x160",
    "320x240",
    "480x360",
    "640x480",
    "800x600",
    "1024x768",
    "1280x720",
    "1600x900",
    "1920x1080",
    "2048x1152",
];
const FORMATS = ["jpg", "png", "webp", "avif"] as const;
const CONTENT_TYPES = { jpg: "image/jpeg", png: "image/png", webp: "image/webp", avif: "image/avif" } as const;

export interface BudgetRow {
    format: string;
    width: number;
    height: number;
    uploadBytes: number;
    wanted: number;
    unbudgeted: { totalMs: number; slowestVariantMs: number; stored: number };
    budgeted: { totalMs: number; stored: number };
}

/** A photo-like original of `pixels` at 3:2 (its file cached: the AVIF alone takes a minute to encode). */
async function largestOriginal(dir: string, pixels: number, format: (typeof FORMATS)[number]) {
    const width = Math.floor(Math.sqrt(pixels * 1.5));
    const height = Math.floor(pixels / width);
    const file = path.join(dir, `budget-${width}x${height}.${format}`);
    if (!fs.existsSync(file)) {
        fs.mkdirSync(dir, { recursive: true });
        const image = sharp(photoLike(width, height, 3, 7), { raw: { width, height, channels: 3 } });
        const encoded =
            format === "png"
                ? image.png({ compressionLevel: 6 })
                : format === "webp"
                  ? image.webp({ quality: 88 })
                  : format === "avif"
                    ? image.avif({ quality: 60, effort: 2 })
                    : image.jpeg({ quality: 88 });
        fs.writeFileSync(file, await encoded.toBuffer());
    }
    return { width, height, bytes: fs.readFileSync(file) };
}

export async function benchIngestBudget(
    s3: S3Client,
    bucket: string,
    dir: string,
    log: (line: string) => void,
): Promise<BudgetRow[]> {
    const defaults = parsePipelineConfig({});
    const originals = [];
    for (const format of FORMATS)
        originals.push({ format, ...(await largestOriginal(dir, defaults.limitInputPixels, format)) });
    const ns = projectNamespace();
    const config = parsePipelineConfig({
        [`${ns}:allowedResolutions`]: BUDGET_SIZES.join(","),
        [`${ns}:eagerResolutions`]: BUDGET_SIZES.join(","),
        // The pixel limit is what is measured: the byte limit is raised to let every original through.
        [`${ns}:maxUploadBytes`]: String(Math.max(...originals.map((o) => o.bytes.length))),
    });
    const settings = ingestSettingsFromConfig(config, { bucket, metricsNamespace: "image-pipeline/bench" });
    const threads = sharp.concurrency();
    sharp.concurrency(1);
    const rows: BudgetRow[] = [];
    try {
        for (const original of originals) rows.push(await benchOne(s3, bucket, settings, original, log));
    } finally {
        sharp.concurrency(threads);
    }
    return rows;
}

async function benchOne(
    s3: S3Client,
    bucket: string,
    settings: IngestSettings,
    original: { format: (typeof FORMATS)[number]; width: number; height: number; bytes: Buffer },
    log: (line: string) => void,
): Promise<BudgetRow> {
    const run = async (budgeted: boolean) => {
        const keys = uploadKeys(randomUUID(), original.format);
        await s3.send(
            new PutObjectCommand({
                Bucket: bucket,
                Key: keys.stagingKey,
                Body: original.bytes,
                ContentType: CONTENT_TYPES[original.format],
            }),
        );
        // The gaps between variant writes: each variant's render and store.
        const variantWrites: number[] = [];
        const recording = {
            send: async (command: { input: { Key?: string } }) => {
                const answer = await s3.send(command as never);
                if (/^\d+x\d+\//.test(command.input.Key ?? "")) variantWrites.push(performance.now());
                return answer;
            },
        } as unknown as S3Client;
        const handler = createIngestHandler({ s3: recording, settings, log: () => undefined });
        const started = performance.now();
        const deadline = Date.now() + INGEST_INVOCATION.timeoutSeconds * 1000;
        await handler(
            {
                Records: [
                    {
                        eventName: "ObjectCreated:Put",
                        s3: { bucket: { name: bucket }, object: { key: encodeEventKey(keys.stagingKey) } },
                    },
                ],
            },
            budgeted ? { getRemainingTimeInMillis: () => deadline - Date.now() } : undefined,
        );
        const totalMs = performance.now() - started;
        const status = (await readStatus(s3, bucket, keys.statusKey))?.status;
        if (status?.status !== "ready") throw new Error(`${original.format}: ingest ended ${status?.status}`);
        const gaps = variantWrites.slice(1).map((at, i) => at - variantWrites[i]);
        return { totalMs, stored: status.storedVariants?.length ?? 0, slowestVariantMs: Math.max(0, ...gaps) };
    };
    log(`  ${original.format} ${original.width}x${original.height}, no budget …`);
    const unbudgeted = await run(false);
    log(`  ${original.format}, the ${INGEST_INVOCATION.timeoutSeconds} s budget …`);
    const budgeted = await run(true);
    return {
        format: original.format,
        width: original.width,
        height: original.height,
        uploadBytes: original.bytes.length,
        wanted: unbudgeted.stored,
        unbudgeted,
        budgeted: { totalMs: budgeted.totalMs, stored: budgeted.stored },
    };
}

/** The table's figures: each format's whole ingest without a budget, and with it against the timeout. */
export function budgetFigures(rows: BudgetRow[]) {
    const timeoutMs = INGEST_INVOCATION.timeoutSeconds * 1000;
    return rows.flatMap((row) => {
        const what = `${row.format} ${round((row.width * row.height) / 1e6)} MP (${round(row.uploadBytes / 1e6)} MB), ${BUDGET_SIZES.length} eager sizes, 1 thread, one run`;
        return [
            {
                name: `${what}, no budget: whole ingest, ${row.wanted} variants (slowest ${round(row.unbudgeted.slowestVariantMs, 0)} ms)`,
                value: row.unbudgeted.totalMs / 1000,
                unit: "s",
            },
            {
                name: `${what}, ${INGEST_INVOCATION.timeoutSeconds} s budget: whole ingest / timeout (${row.budgeted.stored} of ${row.wanted} stored, ${round(row.budgeted.totalMs / 1000)} s)`,
                value: row.budgeted.totalMs / timeoutMs,
                unit: "×",
                target: { op: "<=" as const, value: 1 },
            },
        ];
    });
}
