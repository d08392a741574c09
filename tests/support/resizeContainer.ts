// Starts the Resizer's container server (functions/resize/container.ts) as its image would run it, against a
// local S3: for the process spec and the container benchmark.
import { ChildProcess, spawn } from "child_process";
import { encodeResizeContainerSettings, ResizeSettings } from "../../functions/resize/settings";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/s3/localS3";
import { PROJECT_DIR } from "./program";

const TS_NODE = require.resolve("ts-node/dist/bin.js");
/** A benchmark's request logs can run long: past this, only the tail is kept. */
const MAX_OUTPUT_CHARS = 1_000_000;

export interface ContainerProcess {
    child: ChildProcess;
    port: number;
    output(): string;
    exit: Promise<number | null>;
}

/** The port of the server's "listening" JSON line in `output` (functions/shared/structuredLog.ts writes it, with
 *  other keys between message and port); undefined before it. */
export function listeningPort(output: string): number | undefined {
    const line = /^\{"level":"INFO","message":"listening",.*"port":(\d+)/m.exec(output);
    return line ? Number(line[1]) : undefined;
}

/** Resolves once the server logs the port it listens on (rejects with its output if it exits first). */
export async function startContainer(settings: ResizeSettings, s3Endpoint: string): Promise<ContainerProcess> {
    const child = spawn(process.execPath, [TS_NODE, "-T", "functions/resize/container.ts"], {
        cwd: PROJECT_DIR,
        env: {
            PATH: process.env.PATH,
            ...encodeResizeContainerSettings(settings, 0),
            S3_ENDPOINT: s3Endpoint,
            AWS_REGION: LOCAL_REGION,
            AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const append = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.length > MAX_OUTPUT_CHARS) output = output.slice(-1000);
    };
    child.stdout!.on("data", append);
    child.stderr!.on("data", append);
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let exited = false;
    exit.then(() => {
        exited = true;
    });
    const port = await new Promise<number>((resolve, reject) => {
        const check = () => {
            const listening = listeningPort(output);
            if (listening !== undefined) return resolve(listening);
            if (exited) return reject(new Error(`the container server exited before it listened:\n${output}`));
            setTimeout(check, 50);
        };
        check();
    });
    return { child, port, output: () => output, exit };
}
