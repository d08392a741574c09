// Reads the code archive a Lambda resource was given under mocks, and runs a serialized closure from it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { builtinModules } from "module";
import { RecordedResource } from "./pulumiMocks";

const Module = require("module");

/** File name → text of the archive in a Function's `code` input (Pulumi AssetArchive of StringAssets). */
export async function archiveFiles(lambda: RecordedResource): Promise<Map<string, string>> {
    const assets: Record<string, { text: Promise<string> }> = await lambda.inputs.code.assets;
    const files = new Map<string, string>();
    for (const [name, asset] of Object.entries(assets)) files.set(name, await asset.text);
    return files;
}

export interface LoadedClosure {
    handler: (event: unknown) => Promise<any>;
    /** Every module the closure required while loading and running: Node built-ins only, when self-contained. */
    required: Set<string>;
}

/**
 * Loads closure text as Lambda would (`index.handler`), in a fresh module with no node_modules to resolve from.
 * The factory reads process.env at load: set the function's environment first (see withEnv).
 */
export function loadClosure(code: string): LoadedClosure {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "closure-"));
    const file = path.join(dir, "index.js");
    fs.writeFileSync(file, code);
    const required = new Set<string>();
    try {
        const fresh = new Module(file, null);
        fresh.filename = file;
        fresh.paths = [];
        const realRequire = fresh.require.bind(fresh);
        fresh.require = (id: string) => {
            required.add(id);
            const name = id.replace(/^node:/, "");
            if (!builtinModules.includes(name) && !builtinModules.includes(name.split("/")[0])) {
                throw new Error(`closure requires ${id}, which the archive does not contain`);
            }
            return realRequire(id);
        };
        fresh._compile(code, file);
        return { handler: fresh.exports.handler, required };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Sets environment variables; returns the function that puts the previous values back. */
export function withEnv(env: Record<string, string>): () => void {
    const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
    Object.assign(process.env, env);
    return () => {
        for (const [key, value] of Object.entries(saved)) {
            if (value === undefined) delete process.env[key];
            else process.env[key] = value;
        }
    };
}
