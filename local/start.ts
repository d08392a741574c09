// `npm start [-- --stack NAME] [-- --reset] [-- --data-dir DIR]`: run the pipeline locally with the config of
// Pulumi.<stack>.yaml, keeping objects in .data/<stack>/ (or DIR). One process per data folder (a lock file).
import * as fs from "fs";
import * as path from "path";
import { ConfigError, parsePipelineConfig } from "../config/stackConfig";
import { readStackConfigFile } from "../config/stackConfigFile";
import { DataDirLock, lockDataDir } from "./dataDirLock";
import { PortInUseError } from "./listen";
import { LOCAL_TOKEN_PATH } from "./localAuth";
import { relaunchWithMallocSettings } from "./mallocSettings";

const PROJECT_DIR = path.resolve(__dirname, "..");

function parseArgs(argv: string[]): { stack: string; reset: boolean; dataDir?: string } {
    let stack = "dev";
    let reset = false;
    let dataDir: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--reset") reset = true;
        else if (argv[i] === "--stack" && argv[i + 1]) stack = argv[++i];
        else if (argv[i].startsWith("--stack=")) stack = argv[i].slice("--stack=".length);
        else if (argv[i] === "--data-dir" && argv[i + 1]) dataDir = path.resolve(argv[++i]);
        else
            throw new Error(
                `Unknown argument ${JSON.stringify(argv[i])}; use --stack NAME, --reset and/or --data-dir DIR`,
            );
    }
    return { stack, reset, dataDir };
}

function port(name: string, fallback: number): number {
    const value = process.env[name];
    if (value === undefined || value === "") return fallback;
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0 || number > 65535)
        throw new Error(`${name} must be a port number, not ${JSON.stringify(value)}`);
    return number;
}

let lock: DataDirLock | undefined;

async function main(): Promise<void> {
    if (relaunchWithMallocSettings()) return; // memory goes back to the OS after resizing (local/mallocSettings.ts)
    const { startLocalPipeline } = await import("./server"); // not loaded in the relaunching parent: it stays small
    const args = parseArgs(process.argv.slice(2));
    const { stack, reset } = args;
    const config = parsePipelineConfig(readStackConfigFile(stack, PROJECT_DIR));
    const dataDir = args.dataDir ?? path.join(PROJECT_DIR, ".data", stack);
    lock = lockDataDir(dataDir); // before --reset: never wipe a folder another process serves
    process.on("exit", () => lock?.release());
    if (reset) fs.rmSync(dataDir, { recursive: true, force: true });

    const ports = { PORT: port("PORT", 3000), S3_PORT: port("S3_PORT", 4569) };
    const pipeline = await startLocalPipeline({
        config,
        dataDir,
        port: ports.PORT,
        s3Port: ports.S3_PORT,
        log: (line) => console.log(line),
    }).catch((error) => {
        if (!(error instanceof PortInUseError)) throw error;
        const variable = error.port === ports.PORT ? "PORT" : "S3_PORT";
        throw new Error(
            `Port ${error.port} is already in use; set ${variable} to another port (${variable}=0 picks a free one).`,
        );
    });
    console.log(
        `image-pipeline running locally (stack ${stack}, process ${process.pid}${reset ? ", data reset" : ""})`,
    );
    console.log(`  upload page  ${pipeline.url}/`);
    console.log(`  upload API   ${pipeline.url}/api/uploads`);
    console.log(`  CDN          ${pipeline.url}/cdn/<key>`);
    console.log(`  S3           ${pipeline.s3Url} (data in ${path.relative(PROJECT_DIR, dataDir) || "."}/)`);
    if (config.jwtIssuer)
        console.log(`  JWT          upload routes want one: ${pipeline.url}${LOCAL_TOKEN_PATH}?sub=<you> (local only)`);
    console.log("Ctrl-C to stop.");

    let stopping = false;
    const stop = async () => {
        if (stopping) return;
        stopping = true;
        console.log("stopping…");
        await pipeline.close();
        process.exit(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
}

main().catch((error) => {
    console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
    lock?.release();
    process.exit(1);
});
