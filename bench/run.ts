// `npm run bench [-- --corpus DIR] [-- --runs N]`: resizing, ingest, delivery and signing against their baselines, each
// comparison made in the same run; prints a table and writes bench/results.json.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createS3Client } from "../functions/shared/s3Client";
import { parsePipelineConfig, projectNamespace } from "../config/stackConfig";
import { serializeHandlerFactory } from "../infra/builders/closureArchive";
import { presignHandlerFactory } from "../functions/presign/handler";
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalS3 } from "../local/s3/localS3";
import { startLocalPipeline } from "../local/server";
import { BenchImage, generateCorpus, loadCorpus } from "./corpus";
import { benchDelivery } from "./deliveryBench";
import { benchLocalMemory, memoryBenchSupported } from "./memoryBench";
import { benchPresign } from "./presignBench";
import { benchUpload } from "./uploadBench";
import { benchResize } from "./resizeBench";
import { benchContainer } from "./containerBench";
import { benchEfforts, effortFigures } from "./effortBench";
import { benchFormats, formatFigures } from "./formatBench";
import { benchIngest } from "./ingestBench";
import { benchIngestBudget, budgetFigures } from "./ingestBudgetBench";
import { benchJpegEncoders, jpegFigures } from "./jpegBench";
import { peakRss, presignArchiveBytes, resizerArchiveBytes } from "./footprintBench";
import { median, round } from "./stats";

const PROJECT_DIR = path.resolve(__dirname, "..");
const BUCKET = "bench";

interface Figure {
    section: string;
    name: string;
    value: number;
    unit: string;
    target?: { op: "<=" | ">=" | "=="; value: number };
}

function parseArgs(argv: string[]): { corpus?: string; runs: number } {
    let corpus: string | undefined;
    let runs = 5;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--corpus" && argv[i + 1]) corpus = path.resolve(argv[++i]);
        else if (argv[i] === "--runs" && argv[i + 1]) runs = Number(argv[++i]);
        else throw new Error(`Unknown argument ${JSON.stringify(argv[i])}; use --corpus DIR and/or --runs N`);
    }
    if (!Number.isInteger(runs) || runs < 5)
        throw new Error("--runs must be a whole number of at least 5 (figures are medians of at least 5 runs)");
    return { corpus, runs };
}

const met = (figure: Figure) => {
    if (!figure.target || !Number.isFinite(figure.value)) return undefined;
    const { op, value } = figure.target;
    return op === "<=" ? figure.value <= value : op === ">=" ? figure.value >= value : figure.value === value;
};

function printTable(figures: Figure[]): void {
    const rows = figures.map((f) => [
        f.section,
        f.name,
        `${round(f.value, f.unit === "×" ? 2 : 1)} ${f.unit}`.trim(),
        f.target ? `${f.target.op} ${f.target.value} ${f.unit}`.trim() : "",
        met(f) === undefined ? "" : met(f) ? "met" : "MISSED",
    ]);
    const header = ["section", "figure", "value", "target", ""];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    console.log(line(header));
    console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
    for (const row of rows) console.log(line(row));
}

async function main(): Promise<void> {
    const { corpus, runs } = parseArgs(process.argv.slice(2));
    const started = Date.now();
    const machine = {
        cpu: os.cpus()[0]?.model ?? "unknown",
        cores: os.cpus().length,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        platform: `${os.platform()}-${os.arch()}`,
    };
    console.log(
        `image-pipeline benchmark: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}; ${runs} runs per figure`,
    );
    const images: BenchImage[] = corpus
        ? await loadCorpus(corpus)
        : await generateCorpus(path.join(PROJECT_DIR, ".build", "bench-corpus"));
    console.log(
        `corpus: ${corpus ?? "generated"} (${images.map((i) => `${i.name} ${i.width}x${i.height}`).join(", ")})`,
    );
    const largest = images.reduce((a, b) => (a.width * a.height >= b.width * b.height ? a : b));

    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-s3-"));
    const s3Server = await startLocalS3({
        directory: dataDir,
        bucket: BUCKET,
        corsOrigins: ["http://localhost"],
        port: 0,
    });
    // s3rver itself, not its gate: the gate checks browser uploads in local mode and is not on the handler's AWS path.
    const s3 = createS3Client({ endpoint: s3Server.backendUrl, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const figures: Figure[] = [];
    const results: Record<string, unknown> = {
        machine,
        corpus: corpus ?? "generated",
        runs,
        images: images.map(({ name, width, height }) => ({ name, width, height })),
    };
    try {
        console.log("resize, first hit …");
        const resizeRows = await benchResize(images, s3, BUCKET, runs);
        results.resize = resizeRows;
        for (const row of resizeRows) {
            const name = `${row.image} → ${row.size}`;
            const rest = row.handlerMs - row.rawMs - row.s3IoMs;
            figures.push({
                section: "resize",
                name: `${name}: handler/raw (${round(row.handlerMs)} ms = raw ${round(row.rawMs)} + S3 I/O ${round(row.s3IoMs)} + other ${round(rest)})`,
                value: row.ratio,
                unit: "×",
                target: { op: "<=", value: 1.15 },
            });
            if (row.sharpVsVips !== undefined) {
                figures.push({
                    section: "resize",
                    name: `${name}: sharp vs vipsthumbnail throughput (${round(row.vipsMs!)} ms)`,
                    value: row.sharpVsVips,
                    unit: "×",
                    target: { op: ">=", value: 1.0 },
                });
            }
        }
        figures.push({
            section: "resize",
            name: "sharp images/s on one thread (median over images and sizes)",
            value: median(resizeRows.map((r) => r.imagesPerSecond)),
            unit: "img/s",
        });
        if (resizeRows.every((row) => row.vipsMs === undefined))
            console.log("vipsthumbnail not installed (apt-get install libvips-tools): no libvips reference");

        console.log("variant formats (AVIF, WebP vs today's output) …");
        const formats = await benchFormats(images, s3, BUCKET, runs, console.log);
        results.formats = formats;
        for (const figure of formatFigures(formats.rows)) figures.push({ section: "formats", ...figure });
        const efforts = await benchEfforts(images, runs);
        results.efforts = efforts;
        for (const figure of effortFigures(efforts)) figures.push({ section: "formats", ...figure });
        console.log("JPEG variants: mozjpeg's options vs libvips' default encoder …");
        const jpeg = await benchJpegEncoders(images, runs);
        results.jpeg = jpeg;
        for (const figure of jpegFigures(jpeg)) figures.push({ section: "jpeg", ...figure });
        console.log("ingest: check and clean, metadata strip, progressive JPEGs …");
        const ingest = await benchIngest(images, runs);
        results.ingest = ingest;
        for (const figure of ingest.figures) figures.push({ section: "ingest", ...figure });

        console.log("ingest's worst case against its timeout (largest original, 10 eager sizes, 1 thread) …");
        const budget = await benchIngestBudget(
            s3,
            BUCKET,
            path.join(PROJECT_DIR, ".build", "bench-corpus"),
            console.log,
        );
        results.ingestBudget = budget;
        for (const figure of budgetFigures(budget)) figures.push({ section: "ingest budget", ...figure });

        console.log("container server (resizerRuntime fargate) …");
        const container = await benchContainer(images, s3, s3Server.backendUrl, BUCKET, runs);
        results.container = container;
        for (const row of container.rows) {
            figures.push({
                section: "container",
                name: `concurrency ${row.concurrency}: server/raw sharp (${round(row.serverPerSecond, 2)} / ${round(row.rawPerSecond, 2)} img/s)`,
                value: row.ratio,
                unit: "×",
            });
        }
        figures.push({
            section: "container",
            name: `${round(container.large.originalBytes / 1e6)} MB original → 2048x2048: ${round(container.large.variantBytes / 1e6)} MB answered directly, status ${container.large.status} (${round(container.large.ms, 0)} ms)`,
            value: container.large.status === 200 && container.large.overLambdaLimit ? 1 : 0,
            unit: "",
            target: { op: "==", value: 1 },
        });

        console.log("delivery …");
        const pipeline = await startLocalPipeline({
            // Corpus photos reach 16 MB, over the 10 MiB default: the same 64 MiB as the memory bench.
            config: parsePipelineConfig({ [`${projectNamespace()}:maxUploadBytes`]: String(64 * 1024 * 1024) }),
            port: 0,
            s3Port: 0,
            dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "bench-local-")),
        });
        try {
            const delivery = await benchDelivery(pipeline, largest, runs);
            results.delivery = delivery;
            figures.push({
                section: "delivery",
                name: `second hit: resizes in ${delivery.secondHit.requests} requests`,
                value: delivery.secondHit.resizes,
                unit: "",
                target: { op: "==", value: 0 },
            });
            figures.push({ section: "delivery", name: "second hit p50", value: delivery.secondHit.p50Ms, unit: "ms" });
            figures.push({ section: "delivery", name: "second hit p99", value: delivery.secondHit.p99Ms, unit: "ms" });
            const flight = delivery.singleFlight;
            figures.push({
                section: "delivery",
                name: `single flight: resizes for ${flight.requests} concurrent first requests (worst of ${flight.runs} runs)`,
                value: flight.worstResizes,
                unit: "",
                target: { op: "==", value: 1 },
            });
            figures.push({
                section: "delivery",
                name: `single flight p50 (median of ${flight.runs} runs)`,
                value: flight.p50Ms,
                unit: "ms",
            });
            figures.push({
                section: "delivery",
                name: `single flight p99 (median of ${flight.runs} runs)`,
                value: flight.p99Ms,
                unit: "ms",
            });
        } finally {
            await pipeline.close();
        }

        console.log("presign …");
        const closureText = await serializeHandlerFactory(presignHandlerFactory);
        const archive = await presignArchiveBytes(closureText);
        const presign = await benchPresign(s3, BUCKET, archive.bundled, runs);
        results.presign = presign;
        figures.push({
            section: "presign",
            name: `handler/raw getSignedUrl (${round(presign.handler.perSecond, 0)} / ${round(presign.raw.perSecond, 0)} req/s)`,
            value: presign.ratio,
            unit: "×",
            target: { op: "<=", value: 1.2 },
        });
        figures.push({
            section: "presign",
            name: "handler p50 / p99",
            value: presign.handler.p50Ms,
            unit: `ms (p99 ${round(presign.handler.p99Ms, 2)} ms)`,
        });
        figures.push({
            section: "presign",
            name: "raw getSignedUrl p50 / p99",
            value: presign.raw.p50Ms,
            unit: `ms (p99 ${round(presign.raw.p99Ms, 2)} ms)`,
        });
        figures.push({
            section: "presign",
            name: `serialized closure cold start: load + first request (node start ${round(presign.coldStart.nodeStartMs)} ms not included)`,
            value: presign.coldStart.loadAndFirstRequestMs,
            unit: "ms",
            target: { op: "<=", value: 150 },
        });

        console.log("uploads, 200 MB through the local S3 gate …");
        // Through the gate, as a browser uploads in local mode (its checks are part of what is measured).
        const gate = createS3Client({ endpoint: s3Server.url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
        const upload = await benchUpload(gate, BUCKET, runs).finally(() => gate.destroy());
        results.upload = upload;
        figures.push({
            section: "upload",
            name: `200 MB: multipart (${upload.multipart.parts} parts, ${upload.multipart.parallel} in flight) / single PUT throughput (${round(upload.multipart.mbPerSecond)} / ${round(upload.singlePut.mbPerSecond)} MB/s)`,
            value: upload.throughputRatio,
            unit: "×",
        });
        figures.push({
            section: "upload",
            name: `sign one part: handler route / raw getSignedUrl (${round(upload.signPart.handlerMicros, 0)} / ${round(upload.signPart.rawMicros, 0)} µs)`,
            value: upload.signPart.ratio,
            unit: "×",
        });

        console.log("sizes …");
        await s3.send(
            new PutObjectCommand({
                Bucket: BUCKET,
                Key: `uploads/${largest.name}`,
                Body: largest.bytes,
                ContentType: largest.contentType,
            }),
        );
        const rss = await peakRss(largest, s3Server.backendUrl, BUCKET, runs, () =>
            s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `1280x720/uploads/${largest.name}` })),
        );
        const resizerBytes = await resizerArchiveBytes();
        results.sizes = {
            presignArchiveBytes: archive.bytes,
            resizerArchiveBytes: resizerBytes,
            peakRssMb: rss.peakMb,
            idleRssMb: rss.idleMb,
        };
        figures.push({
            section: "sizes",
            name: "presign archive (zipped)",
            value: archive.bytes / 1024,
            unit: "KiB",
            target: { op: "<=", value: 1024 },
        });
        figures.push({
            section: "sizes",
            name: "resizer archive, arm64 (zipped)",
            value: resizerBytes / 2 ** 20,
            unit: "MiB",
        });
        figures.push({
            section: "sizes",
            name: `peak RSS resizing ${largest.name} (${round((largest.width * largest.height) / 1e6)} MP; idle process ${round(rss.idleMb)} MB)`,
            value: rss.peakMb,
            unit: "MB",
            target: { op: "<=", value: 600 },
        });

        if (memoryBenchSupported()) {
            console.log("memory in local mode (npm start) …");
            const memory = await benchLocalMemory(largest);
            results.memory = memory;
            const what = `local mode, ${memory.requests} concurrent first hits on ${largest.name} (${round((largest.width * largest.height) / 1e6)} MP), npm start's ${memory.processes} processes`;
            figures.push({
                section: "memory",
                name: `${what}: peak RSS (sum of VmHWM; sampled ${round(memory.sampledPeakMb)} MB; idle ${round(memory.baselineMb)} MB; ${round(memory.seconds)} s)`,
                value: memory.peakMb,
                unit: "MB",
                target: { op: "<=", value: 600 },
            });
            figures.push({
                section: "memory",
                name: `${what}: RSS ${memory.settleSeconds} s later (idle ${round(memory.baselineMb)} MB)`,
                value: memory.settledMb,
                unit: "MB",
            });
            figures.push({
                section: "memory",
                name: `${what}: RSS ${memory.settleSeconds} s later minus idle`,
                value: memory.settledMb - memory.baselineMb,
                unit: "MB",
                target: { op: "<=", value: 100 },
            });
        } else {
            console.log("no /proc: the local-mode memory figure is measured on Linux only");
        }
    } finally {
        s3.destroy();
        await s3Server.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
    }

    console.log();
    printTable(figures);
    const seconds = (Date.now() - started) / 1000;
    console.log(`\n${figures.filter((f) => met(f) === false).length} target(s) missed; ${round(seconds)} s`);
    results.figures = figures.map((f) => ({ ...f, met: met(f) }));
    results.seconds = seconds;
    fs.writeFileSync(path.join(__dirname, "results.json"), JSON.stringify(results, null, 2));
    console.log("written: bench/results.json");
}

main().catch((error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
});
