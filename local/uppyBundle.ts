// The Uppy example page's script and styles (web/uppy.js, web/uppy.html), bundled by esbuild from Uppy's npm
// packages when first asked for, then kept: no vendored copy of Uppy lives in this repository.
import * as path from "path";
import * as esbuild from "esbuild";

export interface UppyBundle {
    js: Uint8Array;
    css: Uint8Array;
}

const ENTRY = path.resolve(__dirname, "..", "web", "uppy.js");

/** One build per process; a failed build is forgotten, so the next request tries again. */
export function uppyBundler(): () => Promise<UppyBundle> {
    return buildOnce(build);
}

/** `build` run on the first call and its result kept; a failed build is forgotten, so the next call tries again. */
export function buildOnce<T>(build: () => Promise<T>): () => Promise<T> {
    let built: Promise<T> | undefined;
    return () => {
        built ??= build().catch((error: unknown) => {
            built = undefined;
            throw error;
        });
        return built;
    };
}

async function build(): Promise<UppyBundle> {
    const result = await esbuild.build({
        entryPoints: [ENTRY],
        bundle: true,
        write: false,
        outdir: "out",
        format: "iife",
        platform: "browser",
        target: "es2020",
        minify: true,
        logLevel: "silent",
    });
    const output = (extension: string) => {
        const file = result.outputFiles.find((candidate) => candidate.path.endsWith(extension));
        if (!file) throw new Error(`esbuild wrote no ${extension} for web/uppy.js`);
        return file.contents;
    };
    return { js: output(".js"), css: output(".css") };
}
