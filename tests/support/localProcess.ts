// The real local server as `npm start` runs it (ts-node -T local/start.ts), in a child process, on free ports
// (PORT=0, S3_PORT=0) with a throw-away data folder: for specs that must see the process survive.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "./program";

const TS_NODE = require.resolve("ts-node/dist/bin.js");

export interface LocalProcess {
    child: ChildProcess;
    pid: number;
    url: string;
    s3Url: string;
    dataDir: string;
    /** Everything written to stdout and stderr so far. */
    output(): string;
    alive(): boolean;
    /** SIGTERM, then waits for the exit; the data folder is removed when this helper made it. */
    stop(): Promise<void>;
}

function spawnStart(args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string } {
    const child = spawn(process.execPath, [TS_NODE, "-T", "local/start.ts", ...args], {
        cwd: PROJECT_DIR,
        env: { ...process.env, PORT: "0", S3_PORT: "0", ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
    });
    child.stderr!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
    });
    return { child, output: () => output };
}

/** Starts the server and resolves once it prints its URLs (rejects with its output if it exits first). */
export async function startLocalProcess(
    options: { dataDir?: string; env?: Record<string, string> } = {},
): Promise<LocalProcess> {
    const ownDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "image-pipeline-process-"));
    const { child, output } = spawnStart(["--data-dir", dataDir], options.env ?? {});
    let exited = false;
    const exit = new Promise<void>((resolve) =>
        child.on("exit", () => {
            exited = true;
            resolve();
        }),
    );
    await new Promise<void>((resolve, reject) => {
        const check = () => {
            if (/Ctrl-C to stop/.test(output())) return resolve();
            if (exited) return reject(new Error(`local server exited before it ran:\n${output()}`));
            setTimeout(check, 50);
        };
        check();
    });
    const url = /upload page\s+(http:\/\/\S+?)\/\s/.exec(output())![1];
    const s3Url = /S3\s+(http:\/\/\S+)/.exec(output())![1];
    return {
        // The server's own pid, from its banner: on Linux start.ts relaunches itself (local/mallocSettings.ts).
        child,
        pid: Number(/running locally \(stack \S+, process (\d+)/.exec(output())![1]),
        url,
        s3Url,
        dataDir,
        output,
        alive: () => !exited && child.exitCode === null,
        async stop() {
            if (!exited) child.kill("SIGTERM");
            await exit;
            if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
        },
    };
}

/** Runs `start.ts` expecting it to stop by itself (a refusal): its exit code and output. */
export function runLocalProcessToExit(
    args: string[],
    env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
    const { child, output } = spawnStart(args, env);
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000); // never left running if it does not refuse
    return new Promise((resolve) =>
        child.on("exit", (code) => {
            clearTimeout(timer);
            resolve({ code, output: output() });
        }),
    );
}
