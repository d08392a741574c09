// Builds the Resizer's code archive: functions/resizeLambda.ts bundled by esbuild, with sharp installed beside
// it for the *Lambda's* platform (linux, glibc, arm64 or x64), whatever OS runs `pulumi up`. sharp's native
// binary comes from its per-platform optional packages (@img/sharp-linux-arm64 ...), so the install names the
// platform explicitly instead of taking the host's.
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import * as esbuild from "esbuild";
import { LAMBDA_BUNDLE_OPTIONS } from "./closureArchive";

const PROJECT_DIR = path.resolve(__dirname, "..");
const BUILD_ROOT = path.join(PROJECT_DIR, ".build");
const ENTRY = path.join(PROJECT_DIR, "functions", "resizeLambda.ts");

export type LambdaArchitecture = "arm64" | "x86_64";
/** npm's name for each Lambda architecture. */
const NPM_CPU: Record<LambdaArchitecture, string> = { arm64: "arm64", x86_64: "x64" };

export interface ResizerBuild {
    /** The bundled handler (index.js). */
    code: string;
    /** node_modules holding sharp and its binary for the target platform. */
    nodeModulesDir: string;
}

/** The sharp version the project is tested with, so the Lambda runs the same one. */
export function sharpVersion(): string {
    return JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "node_modules", "sharp", "package.json"), "utf8")).version;
}

export async function buildResizer(architecture: LambdaArchitecture): Promise<ResizerBuild> {
    const [code, nodeModulesDir] = await Promise.all([bundleResizerHandler(), installSharp(architecture)]);
    return { code, nodeModulesDir };
}

/** functions/resizeLambda.ts and what it imports, in one file; sharp stays external (a native package). */
export async function bundleResizerHandler(): Promise<string> {
    const result = await esbuild.build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [ENTRY], external: ["sharp"] });
    return result.outputFiles[0].text;
}

/** npm-installs sharp for linux/<arch>/glibc once per version and architecture; later builds reuse it. */
async function installSharp(architecture: LambdaArchitecture): Promise<string> {
    const version = sharpVersion();
    const dir = path.join(BUILD_ROOT, `sharp-${version}-linux-${NPM_CPU[architecture]}-glibc`);
    const nodeModules = path.join(dir, "node_modules");
    if (fs.existsSync(path.join(dir, "installed.json"))) return nodeModules;

    const staging = `${dir}.staging-${process.pid}-${Date.now()}`;
    fs.mkdirSync(staging, { recursive: true });
    fs.writeFileSync(path.join(staging, "package.json"), JSON.stringify({ private: true, name: "resizer-build" }));
    // Drop the variables of an enclosing `npm run` (npm_package_*, npm_lifecycle_*): they describe our project.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_(package|lifecycle)_/.test(key)));
    try {
        await promisify(execFile)("npm", [
            "install", `sharp@${version}`, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--ignore-scripts",
            "--os=linux", `--cpu=${NPM_CPU[architecture]}`, "--libc=glibc", "--loglevel=error",
        ], { cwd: staging, env, maxBuffer: 16 * 1024 * 1024 });
        fs.writeFileSync(path.join(staging, "installed.json"), JSON.stringify({ sharp: version, architecture }));
        fs.rmSync(dir, { recursive: true, force: true });
        fs.renameSync(staging, dir);
    } catch (error) {
        fs.rmSync(staging, { recursive: true, force: true });
        if (fs.existsSync(path.join(dir, "installed.json"))) return nodeModules; // a parallel build won
        throw new Error(`Installing sharp ${version} for linux-${NPM_CPU[architecture]} failed: ${(error as Error).message}`);
    }
    return nodeModules;
}
