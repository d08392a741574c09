// Reads a Pulumi.<stack>.yaml without the Pulumi engine (local mode and tests), in the flat
// "ns:key" → string shape that `pulumi.runtime.allConfig()` gives the program under `pulumi up`.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export function readStackConfigFile(stack: string, projectDir: string): Record<string, string> {
    if (!/^[\w.-]+$/.test(stack)) throw new Error(`Invalid stack name ${JSON.stringify(stack)}`);
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) throw new Error(`No stack file ${file}: create it with \`pulumi stack init ${stack}\``);
    const document = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    const flat: Record<string, string> = {};
    for (const [key, value] of Object.entries(document?.config ?? {})) {
        if (value === null || value === undefined) continue;
        if (typeof value === "object" && !Array.isArray(value) && "secure" in value) {
            throw new Error(`${file}: ${key} is a Pulumi secret, which only the Pulumi CLI can decrypt`);
        }
        // Pulumi hands structured values (lists set with --path) to the program as JSON text.
        flat[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return flat;
}
