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
import { benchDelivery, deliveryFigures } from "./deliveryBench";
import { benchLocalMemory, memoryBenchSupported, memoryFigures } from "./memoryBench";
import { benchPresign, presignFigures } from "./presignBench";
import { benchPowertools, powertoolsFigures } from "./powertoolsBench";
import { benchUpload, uploadFigures } from "./uploadBench";
import { benchResize, resizeFigures } from "./resizeBench";
import { benchSmartCrop, benchWidthOnly, responsiveFigures } from "./responsiveBench";
import { benchContainer, containerFigures } from "./containerBench";
import { benchEfforts, effortFigures } from "./effortBench";
import { benchFormats, formatFigures } from "./formatBench";
import { benchIngest } from "./ingestBench";
import { benchIngestBudget, budgetFigures } from "./ingestBudgetBench";
import { benchJpegEncoders, jpegFigures } from "./jpegBench";
import { peakRss, presignArchiveBytes, resizerArchiveBytes, sizeFigures } from "./footprintBench";
import { Figure, met, printTable, TableFigure } from "./figures";
import { round } from "./stats";

const PROJECT_DIR = path.resolve(__dirname, "..");
const BUCKET = "bench";

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
    const figures: TableFigure[] = [];
    const add = (section: string, list: Figure[]) => figures.push(...list.map((figure) => ({ section, ...figure })));
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
        add("resize", resizeFigures(resizeRows));
        if (resizeRows.every((row) => row.vipsMs === undefined))
            console.log("vipsthumbnail not installed (apt-get install libvips-tools): no libvips reference");

        console.log("variant formats (AVIF, WebP vs today's output) …");
        const formats = await benchFormats(images, s3, BUCKET, runs, console.log);
        results.formats = formats;
        add("formats", formatFigures(formats.rows));
        const efforts = await benchEfforts(images, runs);
        results.efforts = efforts;
        add("formats", effortFigures(efforts));
        console.log("responsive: smart crop vs centre, width-only sizes vs boxes …");
        const smartCrop = await benchSmartCrop(images, runs);
        const widthOnly = await benchWidthOnly(images, s3, BUCKET, runs);
        results.responsive = { smartCrop, widthOnly };
        add("responsive", responsiveFigures(smartCrop, widthOnly));
        console.log("JPEG variants: mozjpeg's options vs libvips' default encoder …");
        const jpeg = await benchJpegEncoders(images, runs);
        results.jpeg = jpeg;
        add("jpeg", jpegFigures(jpeg));
        console.log("ingest: check and clean, metadata strip, progressive JPEGs …");
        const ingest = await benchIngest(images, runs);
        results.ingest = ingest;
        add("ingest", ingest.figures);

        console.log("ingest's worst case against its timeout (largest original, 10 eager sizes, 1 thread) …");
        const budget = await benchIngestBudget(
            s3,
            BUCKET,
            path.join(PROJECT_DIR, ".build", "bench-corpus"),
            console.log,
        );
        results.ingestBudget = budget;
        add("ingest budget", budgetFigures(budget));

        console.log("container server (resizerRuntime fargate) …");
        const container = await benchContainer(images, s3, s3Server.backendUrl, BUCKET, runs);
        results.container = container;
        add("container", containerFigures(container));

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
            add("delivery", deliveryFigures(delivery));
        } finally {
            await pipeline.close();
        }

        console.log("presign …");
        const closureText = await serializeHandlerFactory(presignHandlerFactory);
        const archive = await presignArchiveBytes(closureText);
        const presign = await benchPresign(s3, BUCKET, archive.bundled, runs);
        results.presign = presign;
        add("presign", presignFigures(presign));

        console.log("Powertools (logs and metrics): presign cold start and bundle sizes, with vs without …");
        const powertools = await benchPowertools(closureText, runs);
        results.powertools = powertools;
        add("powertools", powertoolsFigures(powertools));

        console.log("uploads, 200 MB through the local S3 gate …");
        // Through the gate, as a browser uploads in local mode (its checks are part of what is measured).
        const gate = createS3Client({ endpoint: s3Server.url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
        const upload = await benchUpload(gate, BUCKET, runs).finally(() => gate.destroy());
        results.upload = upload;
        add("upload", uploadFigures(upload));

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
        add(
            "sizes",
            sizeFigures({ presignArchiveBytes: archive.bytes, resizerArchiveBytes: resizerBytes, rss, largest }),
        );

        if (memoryBenchSupported()) {
            console.log("memory in local mode (npm start) …");
            const memory = await benchLocalMemory(largest);
            results.memory = memory;
            add("memory", memoryFigures(memory, largest));
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
