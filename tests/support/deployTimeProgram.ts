// Child-process entry: runs index.ts under the Pulumi mocks with the stack config given as JSON in argv[2],
// builds every Lambda archive, and prints the registered resource types. Imports nothing a deploy would not
// have: no yaml, chai or program.ts (spawned with tests/support/omitDevHook.js preloaded).
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { recorded } from "./pulumiMocks";

async function main(): Promise<void> {
    pulumi.runtime.setAllConfig(JSON.parse(process.argv[2]));
    const program: Record<string, unknown> = require(path.resolve(__dirname, "../../index"));
    await Promise.all(
        Object.values(program).map(
            (value) => new Promise((resolve) => (pulumi.output(value as any) as pulumi.Output<unknown>).apply(resolve)),
        ),
    );
    await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
    // The archives are Outputs inside the inputs: wait for their contents, which is where esbuild and npm run.
    for (const resource of recorded.filter((r) => r.type === "aws:lambda/function:Function")) {
        const assets = await resource.inputs.code.assets;
        for (const asset of Object.values(assets) as any[]) await (asset.text ?? asset.path);
    }
    process.stdout.write(JSON.stringify(recorded.map((r) => r.type)));
}

main().catch((error) => {
    process.stderr.write(String(error?.stack || error));
    process.exit(1);
});
