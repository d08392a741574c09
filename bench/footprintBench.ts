// Sizes: the code archives as the program would upload them, and the peak memory (RSS) of a process running
// the Resizer's bundled handler on the largest image.
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { encodeResizeSettings } from "../functions/resize/settings";
import { UPLOADS_PREFIX } from "../functions/shared/bucketLayout";
import { zippedDirectorySize, zippedSize } from "../infra/builders/archiveSize";
import { bundleClosureText, CLOSURE_ENTRY_FILE, CLOSURE_MANIFEST_FILE } from "../infra/builders/closureArchive";
import { buildResizer, bundleResizerHandler } from "../infra/builders/resizerArchive";
import { BenchImage } from "./corpus";
import { Figure } from "./figures";
import { median, parseResult, round } from "./stats";

export interface FootprintResult {
    presignArchiveBytes: number;
    resizerArchiveBytes: number;
    peakRssMb: number;
    idleRssMb: number;
    largestImage: string;
}

export async function presignArchiveBytes(closureText: string): Promise<{ bytes: number; bundled: string }> {
    const { code, packages } = await bundleClosureText(closureText);
    const bytes = zippedSize(
        new Map([
            [CLOSURE_ENTRY_FILE, code],
            [CLOSURE_MANIFEST_FILE, JSON.stringify({ packages }, null, 2)],
        ]),
    );
    return { bytes, bundled: code };
}

export async function resizerArchiveBytes(): Promise<number> {
    const { code, nodeModulesDir } = await buildResizer("arm64");
    return zippedSize(new Map([["index.js", code]])) + zippedDirectorySize(nodeModulesDir, "node_modules");
}

/** maxRSS of a fresh process that loads the bundled Resizer and makes one variant of `image` from the local S3. */
export async function peakRss(
    image: BenchImage,
    s3Endpoint: string,
    bucket: string,
    runs: number,
    forgetVariant: () => Promise<unknown>,
): Promise<{ peakMb: number; idleMb: number }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-rss-"));
    const bundle = path.join(dir, "resizer.js");
    fs.writeFileSync(bundle, await bundleResizerHandler());
    const child = path.join(dir, "rss.js");
    fs.writeFileSync(
        child,
        `
const { handler } = require(${JSON.stringify(bundle)});
const resize = process.argv[2] === "resize";
(resize ? handler({ rawPath: "/1280x720/uploads/${image.name}", requestContext: { http: { method: "GET" } } }) : Promise.resolve({ statusCode: 200 }))
  .then((result) => process.stdout.write("\\nRESULT " + JSON.stringify({ status: result.statusCode, maxRssKb: peakRssKb() })));
// VmHWM belongs to this address space; getrusage's maxRSS would carry the parent's peak across exec.
function peakRssKb() {
  try { return Number(/VmHWM:\\s+(\\d+) kB/.exec(require("fs").readFileSync("/proc/self/status", "utf8"))[1]); }
  catch { return process.resourceUsage().maxRSS; }
}`,
    );
    const env = {
        ...process.env,
        NODE_PATH: path.resolve(__dirname, "..", "node_modules"),
        NODE_OPTIONS: "",
        ...encodeResizeSettings({
            bucket,
            uploadPrefix: UPLOADS_PREFIX,
            allowedResolutions: ["1280x720"],
            maxDimension: 2048,
            fit: "cover",
            gravity: "centre",
            quality: 80,
            limitInputPixels: 50_000_000,
            metricsNamespace: "image-pipeline/bench",
        }),
        S3_ENDPOINT: s3Endpoint,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "S3RVER",
        AWS_SECRET_ACCESS_KEY: "S3RVER",
    };
    const run = promisify(execFile);
    const measure = async (mode: string) => {
        const samples: number[] = [];
        for (let i = 0; i < runs; i++) {
            await forgetVariant(); // so every run really resizes
            const { stdout } = await run(process.execPath, [child, mode], { env, cwd: dir });
            const result = parseResult(stdout);
            if (result.status !== 200 && result.status !== 307)
                throw new Error(`peak RSS run answered ${result.status}`);
            samples.push(result.maxRssKb / 1024);
        }
        return median(samples);
    };
    const result = { peakMb: await measure("resize"), idleMb: await measure("idle") };
    fs.rmSync(dir, { recursive: true, force: true });
    return result;
}

/** The table's figures: both archives zipped, and the Resizer's peak RSS on the largest image. */
export function sizeFigures(sizes: {
    presignArchiveBytes: number;
    resizerArchiveBytes: number;
    rss: { peakMb: number; idleMb: number };
    largest: BenchImage;
}): Figure[] {
    const { largest, rss } = sizes;
    return [
        {
            name: "presign archive (zipped)",
            value: sizes.presignArchiveBytes / 1024,
            unit: "KiB",
            target: { op: "<=", value: 1024 },
        },
        { name: "resizer archive, arm64 (zipped)", value: sizes.resizerArchiveBytes / 2 ** 20, unit: "MiB" },
        {
            name: `peak RSS resizing ${largest.name} (${round((largest.width * largest.height) / 1e6)} MP; idle process ${round(rss.idleMb)} MB)`,
            value: rss.peakMb,
            unit: "MB",
            target: { op: "<=", value: 600 },
        },
    ];
}
