// Memory in local mode: the real `npm start` process tree (npm, its shell, the pipeline's node process) under
// 20 concurrent first hits on one large photo, each for another variant size so single flight cannot merge them.
// Linux only: it reads /proc.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { BenchImage } from "./corpus";
import { upload } from "./deliveryBench";
import { Figure } from "./figures";
import { round } from "./stats";

const PROJECT_DIR = path.resolve(__dirname, "..");
/** The Resizer's own cap on originals it downloads (functions/resize/resize.ts): the bench's photo must fit under it. */
const MAX_ORIGINAL_BYTES = 64 * 1024 * 1024;

export interface MemoryResult {
    requests: number;
    /** Processes in the tree `npm start` made. */
    processes: number;
    /** Summed RSS of the tree, idle after the upload, before the hits. */
    baselineMb: number;
    /** Peak summed RSS of the tree while the hits ran: the sum of each process's VmHWM, reset before the hits (never misses a spike; an upper bound). */
    peakMb: number;
    /** The largest summed RSS seen sampling every 50 ms while the hits ran. */
    sampledPeakMb: number;
    /** Summed RSS after `settleSeconds` idle. */
    settledMb: number;
    settleSeconds: number;
    /** Wall time of the 20 requests, for the record. */
    seconds: number;
}

export const memoryBenchSupported = () => fs.existsSync("/proc/self/status");

export async function benchLocalMemory(image: BenchImage, requests = 20, settleSeconds = 5): Promise<MemoryResult> {
    const stack = `bench-memory-${process.pid}`;
    const stackFile = path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
    const sizes = Array.from({ length: requests }, (_, i) => `${320 + 64 * i}x${240 + 48 * i}`); // 320x240 … 1536x1152
    fs.writeFileSync(
        stackFile,
        [
            "# Written and removed by bench/memoryBench.ts.",
            "config:",
            `  image-pipeline:allowedResolutions: ${sizes.join(",")}`,
            `  image-pipeline:maxUploadBytes: ${MAX_ORIGINAL_BYTES}`,
            "",
        ].join("\n"),
    );
    const [port, s3Port] = [await freePort(), await freePort()];
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const child = spawn(npm, ["start", "--", "--stack", stack, "--reset"], {
        cwd: PROJECT_DIR,
        env: { ...process.env, PORT: String(port), S3_PORT: String(s3Port) },
        stdio: ["ignore", "pipe", "pipe"],
    });
    try {
        await started(child);
        const url = `http://localhost:${port}`;
        const key = await upload({ url }, image);
        await sleep(1000);
        const tree = processTree(child.pid!);
        const baseline = treeRss(tree);
        for (const pid of tree) resetPeak(pid);
        let sampledPeak = baseline;
        const sampler = setInterval(() => {
            sampledPeak = Math.max(sampledPeak, treeRss(tree));
        }, 50);
        const begun = Date.now();
        try {
            const statuses = await Promise.all(
                sizes.map(async (size) => {
                    const response = await fetch(`${url}/cdn/${size}/${key}`);
                    await response.arrayBuffer();
                    return response.status;
                }),
            );
            const failed = statuses.filter((status) => status !== 200);
            if (failed.length > 0) throw new Error(`first hits answered ${failed.join(", ")}`);
        } finally {
            clearInterval(sampler);
        }
        const seconds = (Date.now() - begun) / 1000;
        const peak = tree.reduce((sum, pid) => sum + statusKb(pid, "VmHWM"), 0) / 1024;
        await sleep(settleSeconds * 1000);
        return {
            requests,
            processes: tree.length,
            baselineMb: baseline,
            peakMb: peak,
            sampledPeakMb: Math.max(sampledPeak, treeRss(tree)),
            settledMb: treeRss(tree),
            settleSeconds,
            seconds,
        };
    } finally {
        await stop(child);
        fs.rmSync(stackFile, { force: true });
        fs.rmSync(path.join(PROJECT_DIR, ".data", stack), { recursive: true, force: true });
    }
}

function started(child: ChildProcess): Promise<void> {
    return new Promise((resolve, reject) => {
        let output = "";
        const onData = (chunk: Buffer) => {
            output += chunk;
            if (output.includes("Ctrl-C to stop.")) resolve();
        };
        child.stdout!.on("data", onData);
        child.stderr!.on("data", (chunk: Buffer) => {
            output += chunk;
        });
        child.once("exit", (code) =>
            reject(new Error(`npm start exited (${code}) before it was ready: ${output.slice(-500)}`)),
        );
        setTimeout(() => reject(new Error(`npm start not ready after 120 s: ${output.slice(-500)}`)), 120_000).unref();
    });
}

/**
 * Stops what the bench started, by pid: SIGTERM to each process of the tree, deepest first (the server closes
 * cleanly; npm's shell would not pass the signal on), then SIGKILL to any still there after 10 s.
 */
async function stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const tree = processTree(child.pid!);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    for (const pid of [...tree].reverse()) signal(pid, "SIGTERM");
    await Promise.race([exited, sleep(10_000)]);
    await sleep(500);
    for (const pid of tree) if (fs.existsSync(`/proc/${pid}`)) signal(pid, "SIGKILL");
}

function signal(pid: number, name: NodeJS.Signals): void {
    try {
        process.kill(pid, name);
    } catch {
        /* already gone */
    }
}

/** `root` and its descendants, from /proc/<pid>/stat (field 4 is the parent; the name in parentheses may hold spaces). */
function processTree(root: number): number[] {
    const parents = new Map<number, number>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
        } catch {
            /* ended meanwhile */
        }
    }
    const tree = [root];
    for (let i = 0; i < tree.length; i++) {
        for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
    }
    return tree;
}

function statusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
    try {
        const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        return match ? Number(match[1]) : 0;
    } catch {
        return 0; // ended
    }
}

const treeRss = (tree: number[]) => tree.reduce((sum, pid) => sum + statusKb(pid, "VmRSS"), 0) / 1024;

/** Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0, proc(5)), so the peak is the hits' own. */
function resetPeak(pid: number): void {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net
            .createServer()
            .once("error", reject)
            .listen(0, "127.0.0.1", () => {
                const { port } = server.address() as net.AddressInfo;
                server.close(() => resolve(port));
            });
    });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The table's figures: local mode's peak RSS under concurrent first hits, and what it keeps once they are done. */
export function memoryFigures(memory: MemoryResult, largest: BenchImage): Figure[] {
    const what = `local mode, ${memory.requests} concurrent first hits on ${largest.name} (${round((largest.width * largest.height) / 1e6)} MP), npm start's ${memory.processes} processes`;
    return [
        {
            name: `${what}: peak RSS (sum of VmHWM; sampled ${round(memory.sampledPeakMb)} MB; idle ${round(memory.baselineMb)} MB; ${round(memory.seconds)} s)`,
            value: memory.peakMb,
            unit: "MB",
            target: { op: "<=", value: 600 },
        },
        {
            name: `${what}: RSS ${memory.settleSeconds} s later (idle ${round(memory.baselineMb)} MB)`,
            value: memory.settledMb,
            unit: "MB",
        },
        {
            name: `${what}: RSS ${memory.settleSeconds} s later minus idle`,
            value: memory.settledMb - memory.baselineMb,
            unit: "MB",
            target: { op: "<=", value: 100 },
        },
    ];
}
