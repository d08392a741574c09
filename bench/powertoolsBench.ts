// What Powertools for AWS Lambda (functions/shared/structuredLog.ts's Logger, pipelineMetrics.ts's Metrics) costs:
// the presign closure's cold start and the code archives' sizes, each against the same code bundled with a
// hand-rolled stand-in for the two packages (PLAIN_LOGGER, PLAIN_METRICS: the same JSON line and EMF document, no
// library), built and measured in the same run. The presign cold start pairs the two bundles round by round in
// fresh processes (bench/presignBench.ts presignColdStarts); the goal is at most 150 ms added (issue 24).
import * as path from "path";
import * as esbuild from "esbuild";
import { zippedSize } from "../infra/builders/archiveSize";
import { bundleClosureText, CLOSURE_ENTRY_FILE, LAMBDA_BUNDLE_OPTIONS } from "../infra/builders/closureArchive";
import { Figure } from "./figures";
import { presignColdStarts } from "./presignBench";
import { median } from "./stats";

const PROJECT_DIR = path.resolve(__dirname, "..");

/** The Logger's surface structuredLog.ts uses: one JSON line per call through `this.console`. */
const PLAIN_LOGGER = `
class Logger {
  constructor(options = {}) { this.service = options.serviceName; this.console = console; }
  print(level, message, fields) {
    this.console[level.toLowerCase()](JSON.stringify({ level, message, timestamp: new Date().toISOString(), service: this.service, ...fields }));
  }
  trace(m, f) { this.print("TRACE", m, f); }
  debug(m, f) { this.print("DEBUG", m, f); }
  info(m, f) { this.print("INFO", m, f); }
  warn(m, f) { this.print("WARN", m, f); }
  error(m, f) { this.print("ERROR", m, f); }
}
module.exports = { Logger };`;

/** The Metrics surface pipelineMetrics.ts uses: one EMF document of one dimension set. */
const PLAIN_METRICS = `
class Metrics {
  constructor(options) { this.namespace = options.namespace; this.dimensions = { service: options.serviceName }; this.metadata = {}; this.metrics = {}; }
  addDimension(name, value) { this.dimensions[name] = value; }
  addMetadata(name, value) { this.metadata[name] = value; }
  addMetric(name, unit, value) { this.metrics[name] = { unit, value }; }
  serializeMetrics() {
    const names = Object.keys(this.metrics);
    return {
      _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: this.namespace, Dimensions: [Object.keys(this.dimensions)], Metrics: names.map((Name) => ({ Name, Unit: this.metrics[Name].unit })) }] },
      ...this.dimensions, ...this.metadata, ...Object.fromEntries(names.map((name) => [name, this.metrics[name].value])),
    };
  }
}
module.exports = { Metrics };`;

/** An esbuild plugin that bundles the stand-ins in place of the two Powertools packages. */
const withoutPowertools: esbuild.Plugin = {
    name: "without-powertools",
    setup(build) {
        build.onResolve({ filter: /^@aws-lambda-powertools\/(logger|metrics)$/ }, (args) => ({
            path: args.path,
            namespace: "plain",
        }));
        build.onLoad({ filter: /.*/, namespace: "plain" }, (args) => ({
            contents: args.path.endsWith("logger") ? PLAIN_LOGGER : PLAIN_METRICS,
            loader: "js",
        }));
    },
};

/** A bundle as infra builds it (LAMBDA_BUNDLE_OPTIONS), optionally with the stand-ins. */
async function bundle(source: { entry: string } | { text: string }, plain: boolean): Promise<string> {
    const result = await esbuild.build({
        ...LAMBDA_BUNDLE_OPTIONS,
        ...("entry" in source
            ? { entryPoints: [source.entry], external: ["sharp"] }
            : { stdin: { contents: source.text, resolveDir: PROJECT_DIR, sourcefile: "__index.js", loader: "js" } }),
        plugins: plain ? [withoutPowertools] : [],
    });
    return result.outputFiles[0].text;
}

export interface PowertoolsResult {
    coldStart: { withMs: number; withoutMs: number; addedMs: number; ratio: number; nodeStartMs: number };
    /** Zipped bytes of each bundle with Powertools and with the stand-ins. */
    sizes: Record<"presign" | "ingest" | "resize", { withBytes: number; withoutBytes: number }>;
}

/** `closureText`: the serialized presign closure (serializeHandlerFactory(presignHandlerFactory)). */
export async function benchPowertools(closureText: string, runs: number): Promise<PowertoolsResult> {
    const presign = {
        with: (await bundleClosureText(closureText)).code,
        without: await bundle({ text: closureText }, true),
    };
    if (presign.with === presign.without) throw new Error("the stand-ins changed nothing: is Powertools bundled?");
    const handlers = {
        ingest: path.join(PROJECT_DIR, "functions", "ingest", "handler.ts"),
        resize: path.join(PROJECT_DIR, "functions", "resize", "handler.ts"),
    };
    const zipped = (code: string) => zippedSize(new Map([[CLOSURE_ENTRY_FILE, code]]));
    const sizes = {
        presign: { withBytes: zipped(presign.with), withoutBytes: zipped(presign.without) },
    } as PowertoolsResult["sizes"];
    for (const [name, entry] of Object.entries(handlers) as Array<[keyof typeof handlers, string]>)
        sizes[name] = {
            withBytes: zipped(await bundle({ entry }, false)),
            withoutBytes: zipped(await bundle({ entry }, true)),
        };
    const cold = await presignColdStarts({ with: presign.with, without: presign.without }, runs);
    return {
        coldStart: {
            withMs: cold.bundles.with.loadAndFirstRequestMs,
            withoutMs: cold.bundles.without.loadAndFirstRequestMs,
            // Pairwise, round by round: both processes of a round saw the same machine.
            addedMs: median(cold.rounds.map((round) => round.with - round.without)),
            ratio: median(cold.rounds.map((round) => round.with / round.without)),
            nodeStartMs: cold.nodeStartMs,
        },
        sizes,
    };
}

export function powertoolsFigures(result: PowertoolsResult): Figure[] {
    const { coldStart } = result;
    const kib = (bytes: number) => Math.round(bytes / 102.4) / 10;
    return [
        {
            name: `presign cold start added by Powertools (${Math.round(coldStart.withMs)} vs ${Math.round(coldStart.withoutMs)} ms load + first request)`,
            value: coldStart.addedMs,
            unit: "ms",
            target: { op: "<=", value: 150 },
        },
        { name: "presign cold start, with / without Powertools", value: coldStart.ratio, unit: "×" },
        ...Object.entries(result.sizes).map(([name, size]) => ({
            name: `${name} bundle zipped, with / without Powertools (${kib(size.withBytes)} / ${kib(size.withoutBytes)} KiB)`,
            value: size.withBytes / size.withoutBytes,
            unit: "×",
        })),
    ];
}

if (require.main === module) {
    (async () => {
        const runsAt = process.argv.indexOf("--runs");
        const runs = runsAt === -1 ? 7 : Number(process.argv[runsAt + 1]);
        if (!Number.isInteger(runs) || runs < 5) throw new Error("--runs must be a whole number of at least 5");
        const { serializeHandlerFactory } = await import("../infra/builders/closureArchive");
        const { presignHandlerFactory } = await import("../functions/presign/handler");
        const result = await benchPowertools(await serializeHandlerFactory(presignHandlerFactory), runs);
        console.log(JSON.stringify(result, null, 2));
        for (const figure of powertoolsFigures(result))
            console.log(`${figure.name}: ${figure.value.toFixed(2)} ${figure.unit}`);
    })().catch((error) => {
        console.error(error);
        process.exit(1);
    });
}
