// examples/nextjs for the browser spec: installed once (npm ci, kept in examples/nextjs/node_modules), the client
// library packed (npm pack, whose `prepare` builds client/dist, which the example links), built against a CDN URL
// (next build inlines it) and started on a free port.
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { PROJECT_DIR } from "./program";

export const EXAMPLE_DIR = path.join(PROJECT_DIR, "examples", "nextjs");
const CLIENT_DIR = path.join(PROJECT_DIR, "client");
const NEXT_BIN = path.join(EXAMPLE_DIR, "node_modules", "next", "dist", "bin", "next");
const QUIET = { NEXT_TELEMETRY_DISABLED: "1", npm_config_audit: "false", npm_config_fund: "false" };

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
    return execFileSync(command, args, {
        cwd,
        env: { ...process.env, ...QUIET, ...env },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
}

/** npm ci in examples/nextjs unless its lock's packages are installed already (.ci/run installs them first). */
export function installExample(): void {
    if (!fs.existsSync(NEXT_BIN)) run("npm", ["ci"], EXAMPLE_DIR);
}

/** `npm pack` of client/ into `destination`: the tarball's file list (its prepare script builds dist/ first). */
export function packClient(destination: string): { filename: string; files: string[] } {
    const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", destination], CLIENT_DIR));
    return {
        filename: path.join(destination, packed.filename),
        files: packed.files.map((f: { path: string }) => f.path),
    };
}

/** `next build` with the CDN URL and the allowed widths inlined. */
export function buildExample(cdnUrl: string, widths: readonly number[]): void {
    run(process.execPath, [NEXT_BIN, "build"], EXAMPLE_DIR, { IMAGE_CDN_URL: cdnUrl, IMAGE_WIDTHS: widths.join(",") });
}

/** `next start` on a free loopback port; resolves once it answers. stop() ends that process (by its own handle). */
export async function startExample(): Promise<{ url: string; stop(): Promise<void>; output(): string }> {
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, [NEXT_BIN, "start", "-p", String(port), "-H", "127.0.0.1"], {
        cwd: EXAMPLE_DIR,
        env: { ...process.env, ...QUIET },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    const url = `http://127.0.0.1:${port}`;
    for (let attempt = 0; ; attempt++) {
        if (child.exitCode !== null) throw new Error(`next start exited:\n${output}`);
        const answered = await fetch(url).then(
            () => true,
            () => false,
        );
        if (answered) break;
        if (attempt > 600) throw new Error(`next start never answered:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return {
        url,
        output: () => output,
        async stop() {
            if (child.exitCode === null) child.kill("SIGTERM");
            await exited;
        },
    };
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}
