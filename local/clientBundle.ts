// The client library (client/) as the upload page imports it, /client/index.js: one ES module built by esbuild from
// client/src when first asked for, then kept, so `npm start` needs no build step in client/ (an app installs the
// package, whose `prepare` script builds client/dist with tsc).
import * as path from "path";
import * as esbuild from "esbuild";
import { buildOnce } from "./uppyBundle";

const ENTRY = path.resolve(__dirname, "..", "client", "src", "index.ts");

/** One build per process (uppyBundle.ts's buildOnce). */
export function clientBundler(): () => Promise<Uint8Array> {
    return buildOnce(build);
}

async function build(): Promise<Uint8Array> {
    const result = await esbuild.build({
        entryPoints: [ENTRY],
        bundle: true,
        write: false,
        format: "esm",
        platform: "browser",
        target: "es2020",
        logLevel: "silent",
    });
    return result.outputFiles[0].contents;
}
