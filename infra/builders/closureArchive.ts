// Turns an inline callback factory into a Lambda code archive: Pulumi serializes the closure (as
// aws.lambda.CallbackFunction does), then esbuild bundles that text with the modules it requires into one
// minified index.js. CallbackFunction would instead ship every `dependencies` package whole (4 MB zipped
// for the AWS SDK); the bundle holds only the code the handler reaches.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as esbuild from "esbuild";
import { LAMBDA_NODE_TARGET } from "./lambdaRuntime";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");
export const CLOSURE_ENTRY_FILE = "index.js";
export const CLOSURE_HANDLER = "index.handler";
/** Lists what went into the bundle, so the archive can be audited (and is, by the tests). */
export const CLOSURE_MANIFEST_FILE = "bundle-manifest.json";

export interface ClosureBundle {
    code: string;
    /** npm packages bundled in, by name (project code is already inlined in the serialized text). */
    packages: string[];
}

/** The serialized closure's source text: `exports.handler` is what the factory returns, built at cold start. */
export async function serializeHandlerFactory(factory: () => unknown): Promise<string> {
    const closure = await pulumi.runtime.serializeFunction(factory, {
        exportName: "handler",
        isFactoryFunction: true,
        allowSecrets: false,
    });
    return closure.text;
}

/** How both Lambdas are bundled: one minified CommonJS file for their runtime (LAMBDA_RUNTIME). */
export const LAMBDA_BUNDLE_OPTIONS = {
    bundle: true,
    platform: "node",
    target: LAMBDA_NODE_TARGET,
    format: "cjs",
    minify: true,
    legalComments: "none",
    write: false,
    logLevel: "silent",
} as const satisfies esbuild.BuildOptions;

/** Bundles serialized closure text into one self-contained CommonJS file for the Lambda runtime. */
export async function bundleClosureText(text: string): Promise<ClosureBundle> {
    const result = await esbuild.build({
        ...LAMBDA_BUNDLE_OPTIONS,
        stdin: { contents: text, resolveDir: PROJECT_DIR, sourcefile: "__index.js", loader: "js" },
        metafile: true,
    });
    const packages = new Set<string>();
    for (const input of Object.keys(result.metafile.inputs)) {
        const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
        if (inPackage) packages.add(inPackage[1]);
    }
    return { code: result.outputFiles[0].text, packages: [...packages].sort() };
}

export function closureArchive(factory: () => unknown): pulumi.Output<pulumi.asset.AssetArchive> {
    const bundled = serializeHandlerFactory(factory).then(bundleClosureText);
    return pulumi.output(bundled).apply(
        ({ code, packages }) =>
            new pulumi.asset.AssetArchive({
                [CLOSURE_ENTRY_FILE]: new pulumi.asset.StringAsset(code),
                [CLOSURE_MANIFEST_FILE]: new pulumi.asset.StringAsset(JSON.stringify({ packages }, null, 2)),
            }),
    );
}
