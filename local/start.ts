// `npm start [-- --stack NAME] [-- --reset]`: run the pipeline locally with the config of Pulumi.<stack>.yaml.
import * as fs from "fs";
import * as path from "path";
import { ConfigError, parsePipelineConfig } from "../infra/config";
import { readStackConfigFile } from "../infra/stackConfigFile";
import { relaunchWithMallocSettings } from "./mallocSettings";

const PROJECT_DIR = path.resolve(__dirname, "..");

function parseArgs(argv: string[]): { stack: string; reset: boolean } {
    let stack = "dev";
    let reset = false;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--reset") reset = true;
        else if (argv[i] === "--stack" && argv[i + 1]) stack = argv[++i];
        else if (argv[i].startsWith("--stack=")) stack = argv[i].slice("--stack=".length);
        else throw new Error(`Unknown argument ${JSON.stringify(argv[i])}; use --stack NAME and/or --reset`);
    }
    return { stack, reset };
}

function port(name: string, fallback: number): number {
    const value = process.env[name];
    if (value === undefined || value === "") return fallback;
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0 || number > 65535) throw new Error(`${name} must be a port number, not ${JSON.stringify(value)}`);
    return number;
}

async function main(): Promise<void> {
    if (relaunchWithMallocSettings()) return; // memory goes back to the OS after resizing (local/mallocSettings.ts)
    const { startLocalPipeline } = await import("./pipeline"); // not loaded in the relaunching parent: it stays small
    const { stack, reset } = parseArgs(process.argv.slice(2));
    const config = parsePipelineConfig(readStackConfigFile(stack, PROJECT_DIR));
    const dataDir = path.join(PROJECT_DIR, ".data", stack);
    if (reset) fs.rmSync(dataDir, { recursive: true, force: true });
    if (config.jwtIssuer) console.warn("jwtIssuer is set: local mode does not check JWTs; uploads are not prefixed by user.");

    const pipeline = await startLocalPipeline({
        config, dataDir, port: port("PORT", 3000), s3Port: port("S3_PORT", 4569), log: (line) => console.log(line),
    });
    console.log(`image-pipeline running locally (stack ${stack}${reset ? ", data reset" : ""})`);
    console.log(`  upload page  ${pipeline.url}/`);
    console.log(`  upload API   ${pipeline.url}/api/uploads`);
    console.log(`  CDN          ${pipeline.url}/cdn/<key>`);
    console.log(`  S3           ${pipeline.s3Url} (data in ${path.relative(PROJECT_DIR, dataDir)}/)`);
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
    process.exit(1);
});
