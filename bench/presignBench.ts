// Presign: the handler in-process against raw getSignedUrl (same client, same run), and the cold start of the
// serialized closure: a fresh process loads the bundled closure text and answers its first request.
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { promisify } from "util";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createPresignHandler } from "../functions/presign/presign";
import { encodePresignSettings } from "../functions/presign/settings";
import { HttpEvent } from "../functions/shared/http";
import { Figure } from "./figures";
import { median, parseResult, percentile, round } from "./stats";

export interface PresignResult {
    handler: { perSecond: number; p50Ms: number; p99Ms: number };
    raw: { perSecond: number; p50Ms: number; p99Ms: number };
    ratio: number;
    coldStart: { loadAndFirstRequestMs: number; sinceProcessStartMs: number; nodeStartMs: number };
}

const EVENT: HttpEvent = {
    rawPath: "/uploads",
    body: '{"contentType":"image/png"}',
    headers: {},
    requestContext: { http: { method: "POST" } },
};

async function block(calls: number, call: () => Promise<unknown>): Promise<{ elapsed: number; times: number[] }> {
    const times: number[] = [];
    const started = performance.now();
    for (let i = 0; i < calls; i++) {
        const t = performance.now();
        await call();
        times.push(performance.now() - t);
    }
    return { elapsed: performance.now() - started, times };
}

export async function benchPresign(
    s3: S3Client,
    bucket: string,
    closureText: string,
    rounds: number,
): Promise<PresignResult> {
    const handler = createPresignHandler({
        s3,
        log: () => undefined,
        settings: {
            bucket,
            allowedContentTypes: ["image/png"],
            maxUploadBytes: 10_000_000,
            expiresIn: 300,
            cdnUrl: "https://cdn.example",
            requireAuth: false,
        },
    });
    const viaHandler = async () => {
        const result = await handler(EVENT);
        if (result.statusCode !== 200) throw new Error(result.body);
    };
    const raw = () =>
        getSignedUrl(
            s3,
            new PutObjectCommand({ Bucket: bucket, Key: `uploads/${Math.random()}.png`, ContentType: "image/png" }),
            { expiresIn: 300, signableHeaders: new Set(["content-type"]) },
        );
    await block(300, viaHandler);
    await block(300, raw);
    const calls = 500;
    const handlerBlocks: Array<{ elapsed: number; times: number[] }> = [];
    const rawBlocks: Array<{ elapsed: number; times: number[] }> = [];
    for (let round = 0; round < rounds; round++) {
        // interleaved, so both see the same machine
        handlerBlocks.push(await block(calls, viaHandler));
        rawBlocks.push(await block(calls, raw));
    }
    const summary = (blocks: typeof handlerBlocks) => ({
        perSecond: median(blocks.map((b) => (calls * 1000) / b.elapsed)),
        p50Ms: percentile(
            blocks.flatMap((b) => b.times),
            50,
        ),
        p99Ms: percentile(
            blocks.flatMap((b) => b.times),
            99,
        ),
    });
    const handlerSummary = summary(handlerBlocks);
    const rawSummary = summary(rawBlocks);
    return {
        handler: handlerSummary,
        raw: rawSummary,
        ratio: median(handlerBlocks.map((b) => b.elapsed)) / median(rawBlocks.map((b) => b.elapsed)),
        coldStart: await coldStart(closureText, rounds),
    };
}

/** Median over fresh processes of: loading the closure file and answering one request (and node's own start). */
async function coldStart(closureText: string, runs: number): Promise<PresignResult["coldStart"]> {
    const { bundles, nodeStartMs } = await presignColdStarts({ closure: closureText }, runs);
    return { ...bundles.closure, nodeStartMs };
}

/**
 * Cold starts of bundled presign closures, each a fresh process that loads its file and answers one request,
 * the bundles taking turns so each sees the same machine (bench/powertoolsBench.ts compares two). Medians per
 * bundle, and of node's own start.
 */
export async function presignColdStarts<Name extends string>(
    bundled: Record<Name, string>,
    runs: number,
): Promise<{
    bundles: Record<Name, { loadAndFirstRequestMs: number; sinceProcessStartMs: number }>;
    /** Each round's load + first request per bundle, in round order (for pairwise differences). */
    rounds: Array<Record<Name, number>>;
    nodeStartMs: number;
}> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-closure-"));
    const names = Object.keys(bundled) as Name[];
    for (const name of names) fs.writeFileSync(path.join(dir, `${name}.js`), bundled[name]);
    const child = path.join(dir, "coldstart.js");
    fs.writeFileSync(
        child,
        `
const { performance } = require("perf_hooks");
const t0 = performance.now();
const { handler } = require(require("path").join(__dirname, process.argv[2] + ".js"));
handler(${JSON.stringify(EVENT)}).then((result) => {
  const t1 = performance.now();
  process.stdout.write("\\nRESULT " + JSON.stringify({ status: result.statusCode, loadAndFirst: t1 - t0, sinceStart: t1 }));
});`,
    );
    const env = {
        ...process.env,
        ...encodePresignSettings({
            bucket: "bench",
            allowedContentTypes: ["image/png"],
            maxUploadBytes: 1_000_000,
            expiresIn: 300,
            cdnUrl: "https://cdn.example",
            requireAuth: false,
        }),
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "AKIDBENCH",
        AWS_SECRET_ACCESS_KEY: "bench-secret",
        NODE_OPTIONS: "",
    };
    const run = promisify(execFile);
    const samples = new Map<Name, Array<{ loadAndFirst: number; sinceStart: number }>>(names.map((n) => [n, []]));
    const nodeStart: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
        for (const name of names) {
            const { stdout } = await run(process.execPath, [child, name], { env, cwd: dir });
            const sample = parseResult(stdout);
            if (sample.status !== 200) throw new Error(`cold start of ${name} answered ${sample.status}`);
            if (i > 0) samples.get(name)!.push(sample); // the first round warms the OS file cache
        }
        const started = performance.now();
        await run(process.execPath, ["-e", "0"], { env });
        nodeStart.push(performance.now() - started);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    const bundles = Object.fromEntries(
        names.map((name) => [
            name,
            {
                loadAndFirstRequestMs: median(samples.get(name)!.map((s) => s.loadAndFirst)),
                sinceProcessStartMs: median(samples.get(name)!.map((s) => s.sinceStart)),
            },
        ]),
    ) as Record<Name, { loadAndFirstRequestMs: number; sinceProcessStartMs: number }>;
    const rounds = samples
        .get(names[0])!
        .map(
            (_, at) =>
                Object.fromEntries(names.map((name) => [name, samples.get(name)![at].loadAndFirst])) as Record<
                    Name,
                    number
                >,
        );
    return { bundles, rounds, nodeStartMs: median(nodeStart) };
}

/** The table's figures: the handler against raw getSignedUrl, their latencies, and the closure's cold start. */
export function presignFigures(presign: PresignResult): Figure[] {
    return [
        {
            name: `handler/raw getSignedUrl (${round(presign.handler.perSecond, 0)} / ${round(presign.raw.perSecond, 0)} req/s)`,
            value: presign.ratio,
            unit: "×",
            target: { op: "<=", value: 1.2 },
        },
        {
            name: "handler p50 / p99",
            value: presign.handler.p50Ms,
            unit: `ms (p99 ${round(presign.handler.p99Ms, 2)} ms)`,
        },
        {
            name: "raw getSignedUrl p50 / p99",
            value: presign.raw.p50Ms,
            unit: `ms (p99 ${round(presign.raw.p99Ms, 2)} ms)`,
        },
        {
            name: `serialized closure cold start: load + first request (node start ${round(presign.coldStart.nodeStartMs)} ms not included)`,
            value: presign.coldStart.loadAndFirstRequestMs,
            unit: "ms",
            target: { op: "<=", value: 150 },
        },
    ];
}
