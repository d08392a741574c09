// Builds the Resizer's code archive: functions/resize/handler.ts bundled by esbuild, with sharp installed beside
// it for the *Lambda's* platform (linux, glibc, arm64 or x64), whatever OS runs `pulumi up`. sharp's native
// binary comes from its per-platform optional packages (@img/sharp-linux-arm64 ...), so the install names the
// platform explicitly instead of taking the host's. What is installed is locked (infra/resizer-packages).
import * as pulumi from "@pulumi/pulumi";
import { execFile } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import * as esbuild from "esbuild";
import { LAMBDA_BUNDLE_OPTIONS } from "./closureArchive";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");
const BUILD_ROOT = path.join(PROJECT_DIR, ".build");
const ENTRY = path.join(PROJECT_DIR, "functions", "resize", "handler.ts");
/** The ingest function ships in the same archive (ingest.js beside index.js): one sharp build for both. */
const INGEST_ENTRY = path.join(PROJECT_DIR, "functions", "ingest", "handler.ts");

export type LambdaArchitecture = "arm64" | "x86_64";
/** npm's name for each Lambda architecture. */
const NPM_CPU: Record<LambdaArchitecture, string> = { arm64: "arm64", x86_64: "x64" };

export interface ResizerBuild {
    /** The bundled handler (index.js). */
    code: string;
    /** The bundled ingest handler (ingest.js). */
    ingestCode: string;
    /** node_modules holding sharp and its binary for the target platform. */
    nodeModulesDir: string;
}

/** The Resizer's own npm packages, locked: sharp and its @img/sharp-linux-* binaries for both architectures. */
export const RESIZER_PACKAGES_DIR = path.join(PROJECT_DIR, "infra", "resizer-packages");

/** The sharp version the Resizer ships: exact, from its lockfile (a spec checks it equals the tested one). */
export function sharpVersion(): string {
    const lock = JSON.parse(fs.readFileSync(path.join(RESIZER_PACKAGES_DIR, "package-lock.json"), "utf8"));
    return lock.packages["node_modules/sharp"].version;
}

/** Short hash of the lockfile: a changed lock gets a new install directory, an unchanged one is reused. */
export function resizerLockHash(): string {
    const bytes = fs.readFileSync(path.join(RESIZER_PACKAGES_DIR, "package-lock.json"));
    return createHash("sha256").update(bytes).digest("hex").slice(0, 16);
}

/**
 * How to run npm on any OS: `npm` is a .cmd shim on Windows, which execFile cannot start without a shell, so
 * run npm's own cli.js with this node. npm_execpath is set when we run under `npm run`/npx; otherwise npm
 * sits beside node (Windows: <node dir>/node_modules/npm; elsewhere: <prefix>/lib/node_modules/npm).
 */
export function npmCommand(
    args: string[],
    host: {
        execPath: string;
        env: Record<string, string | undefined>;
        exists: (file: string) => boolean;
        pathApi?: typeof path.posix;
    } = { execPath: process.execPath, env: process.env, exists: fs.existsSync },
): { file: string; args: string[] } {
    const p = host.pathApi ?? path;
    const nodeDir = p.dirname(host.execPath);
    const candidates = [
        host.env.npm_execpath,
        p.join(nodeDir, "node_modules", "npm", "bin", "npm-cli.js"),
        p.join(nodeDir, "..", "lib", "node_modules", "npm", "bin", "npm-cli.js"),
    ].filter((file): file is string => !!file && /npm-cli\.js$/.test(file));
    const cli = candidates.find((file) => host.exists(file));
    if (!cli)
        throw new Error(`npm's cli.js was not found (looked at ${candidates.join(", ")}); set npm_execpath to it`);
    return { file: host.execPath, args: [cli, ...args] };
}

export async function buildResizer(architecture: LambdaArchitecture): Promise<ResizerBuild> {
    const [code, ingestCode, nodeModulesDir] = await Promise.all([
        bundleResizerHandler(),
        bundleIngestHandler(),
        installSharp(architecture),
    ]);
    return { code, ingestCode, nodeModulesDir };
}

/** functions/resize/handler.ts and what it imports, in one file; sharp stays external (a native package). */
export async function bundleResizerHandler(): Promise<string> {
    const result = await esbuild.build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [ENTRY], external: ["sharp"] });
    return result.outputFiles[0].text;
}

/** functions/ingest/handler.ts likewise, sharp external (the same node_modules serves both). */
export async function bundleIngestHandler(): Promise<string> {
    const result = await esbuild.build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [INGEST_ENTRY], external: ["sharp"] });
    return result.outputFiles[0].text;
}

/**
 * `npm ci` of infra/resizer-packages for linux/<arch>/glibc, once per lockfile and architecture (the directory
 * name holds the lock's hash, so an unchanged lock is never installed again, on preview or up).
 */
export async function installSharp(architecture: LambdaArchitecture, buildRoot = BUILD_ROOT): Promise<string> {
    const dir = path.join(buildRoot, `resizer-packages-${resizerLockHash()}-linux-${NPM_CPU[architecture]}-glibc`);
    const nodeModules = path.join(dir, "node_modules");
    if (fs.existsSync(path.join(dir, "installed.json"))) return nodeModules;

    const staging = `${dir}.staging-${process.pid}-${Date.now()}`;
    fs.mkdirSync(staging, { recursive: true });
    for (const file of ["package.json", "package-lock.json"])
        fs.copyFileSync(path.join(RESIZER_PACKAGES_DIR, file), path.join(staging, file));
    // Drop the variables of an enclosing `npm run` (npm_package_*, npm_lifecycle_*): they describe our project.
    const env = Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !/^npm_(package|lifecycle)_/.test(key)),
    );
    const npm = npmCommand([
        "ci",
        "--omit=dev",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--prefer-offline",
        "--os=linux",
        `--cpu=${NPM_CPU[architecture]}`,
        "--libc=glibc",
        "--loglevel=error",
    ]);
    try {
        await promisify(execFile)(npm.file, npm.args, { cwd: staging, env, maxBuffer: 16 * 1024 * 1024 });
        fs.writeFileSync(path.join(staging, "installed.json"), JSON.stringify({ sharp: sharpVersion(), architecture }));
        fs.rmSync(dir, { recursive: true, force: true });
        fs.renameSync(staging, dir);
    } catch (error) {
        fs.rmSync(staging, { recursive: true, force: true });
        if (fs.existsSync(path.join(dir, "installed.json"))) return nodeModules; // a parallel build won
        throw new Error(
            `Installing the Resizer's packages (sharp ${sharpVersion()}) for linux-${NPM_CPU[architecture]} failed: ${(error as Error).message}`,
        );
    }
    return nodeModules;
}

/** The sharp Lambdas' code: index.js (the Resizer), ingest.js (Ingest) and node_modules with sharp for `architecture`. */
export function sharpLambdaArchive(architecture: LambdaArchitecture): pulumi.Output<pulumi.asset.AssetArchive> {
    return pulumi.output(buildResizer(architecture)).apply(
        ({ code, ingestCode, nodeModulesDir }) =>
            new pulumi.asset.AssetArchive({
                "index.js": new pulumi.asset.StringAsset(code),
                "ingest.js": new pulumi.asset.StringAsset(ingestCode),
                node_modules: new pulumi.asset.FileArchive(nodeModulesDir),
            }),
    );
}
