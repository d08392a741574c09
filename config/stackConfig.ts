// One typed, validated configuration for the stack and for local mode.
// Values arrive as strings keyed "<project>:<key>" (what `pulumi config` stores; list values set with
// --path arrive as JSON text), so the same parser serves the Pulumi engine and a Pulumi.<stack>.yaml file.
// <project> is the `name` in Pulumi.yaml (what `pulumi config set` writes keys under), never a literal here.
// The keys, their parsers and defaults are config/configKeys.ts's; the rules between keys, config/keyRules.ts's.
import * as fs from "fs";
import * as path from "path";
import { CONFIG_KEYS, PipelineConfig, readConfigKeys } from "./configKeys";
import { ConfigReader } from "./configReader";
import { keyRuleProblems } from "./keyRules";

/**
 * The project's name from Pulumi.yaml: `pulumi config set k v` stores `<name>:k`, so a renamed project must
 * read its keys under the new name. Under the engine index.ts passes pulumi.getProject() instead. A regex,
 * not a YAML parser: `name` is a required top-level scalar, and the `yaml` package is a devDependency only.
 */
export function projectNamespace(projectDir = path.resolve(__dirname, "..")): string {
    const text = fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8");
    const match = /^name:[ \t]*(["']?)([A-Za-z0-9_.-]+)\1[ \t]*(#.*)?$/m.exec(text);
    if (!match) throw new Error(`${path.join(projectDir, "Pulumi.yaml")} has no top-level project name`);
    return match[2];
}

/** Thrown with every invalid key listed, before any resource is declared. */
export class ConfigError extends Error {
    constructor(
        readonly problems: string[],
        namespace: string,
    ) {
        super(`Invalid ${namespace} configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

/**
 * Parses and validates the pipeline's keys out of a flat map of stack config ("ns:key" → string value).
 * Keys of other namespaces (aws:region ...) are ignored; an unknown image-pipeline key is an error, since a
 * typo would otherwise silently fall back to a default.
 */
export function parsePipelineConfig(
    stackConfig: Record<string, string | undefined>,
    namespace: string = projectNamespace(),
): PipelineConfig {
    const problems: string[] = [];
    const raw = new Map<string, string>();
    const known: readonly string[] = CONFIG_KEYS;
    for (const [fullKey, value] of Object.entries(stackConfig)) {
        const [keyNamespace, key] = splitKey(fullKey);
        if (keyNamespace !== namespace || value === undefined) continue;
        if (!known.includes(key)) {
            problems.push(`${fullKey}: unknown key (known keys: ${CONFIG_KEYS.join(", ")})`);
            continue;
        }
        raw.set(key, value);
    }
    const config = readConfigKeys(new ConfigReader(raw, problems, namespace), stackConfig["aws:region"]);
    problems.push(...keyRuleProblems(config, namespace, raw.has("allowedResolutions")));
    if (problems.length > 0) throw new ConfigError(problems, namespace);
    return config;
}

function splitKey(fullKey: string): [string, string] {
    const colon = fullKey.indexOf(":");
    return colon < 0 ? ["", fullKey] : [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
}
