// `npm ci --omit=dev && pulumi preview` must work: whatever the program loads at deploy time is a dependency.
import { expect } from "chai";
import { execFile } from "child_process";
import * as path from "path";
import { promisify } from "util";
import { devStackConfig, PROJECT_DIR } from "../support/program";

const HOOK = path.join(PROJECT_DIR, "tests", "support", "omitDevHook.js");

/** Runs a TypeScript file in a fresh node with dev-only packages unloadable (ts-node is a dependency). */
function runWithoutDevPackages(file: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
    return promisify(execFile)(process.execPath, ["-r", HOOK, "-r", "ts-node/register/transpile-only", file, ...args], {
        cwd: PROJECT_DIR,
        maxBuffer: 16 * 1024 * 1024,
    });
}

describe("deploy-time dependencies (npm ci --omit=dev)", () => {
    it("the hook really hides dev-only packages (sharp, yaml, mocha) and keeps dependencies", async () => {
        const probe = `for (const name of ["sharp", "yaml", "mocha", "@pulumi/pulumi", "esbuild"]) {
            try { require(name); console.log(name, "loads"); } catch (e) { console.log(name, e.code); } }`;
        const { stdout } = await promisify(execFile)(process.execPath, ["-r", HOOK, "-e", probe], { cwd: PROJECT_DIR });
        expect(stdout.trim().split("\n")).to.deep.equal([
            "sharp MODULE_NOT_FOUND",
            "yaml MODULE_NOT_FOUND",
            "mocha MODULE_NOT_FOUND",
            "@pulumi/pulumi loads",
            "esbuild loads",
        ]);
    });

    it("index.ts runs under the mocks and builds every Lambda (presign, Resizer, ingest, its failure consumer, cleanup) with only `dependencies` loadable", async () => {
        const config = JSON.stringify(devStackConfig());
        const { stdout } = await runWithoutDevPackages(
            path.join(PROJECT_DIR, "tests", "support", "deployTimeProgram.ts"),
            [config],
        );
        const types: string[] = JSON.parse(stdout);
        expect(types.filter((t) => t === "aws:lambda/function:Function")).to.have.length(5);
        expect(types).to.include("aws:cloudfront/distribution:Distribution");
    });
});
