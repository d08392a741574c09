// Runs index.ts under the shared mocks with a given stack config and returns what it registered.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { readStackConfigFile } from "../../config/stackConfigFile";
import { recorded, registeredUrns, resetRecorded, RecordedResource } from "./pulumiMocks";

export const PROJECT_DIR = path.resolve(__dirname, "../..");

export interface ProgramRun {
    outputs: Record<string, unknown>;
    resources: RecordedResource[];
    /** Each resource's URN as the engine would give it (type qualified by its ancestors', then name). */
    urns: string[];
    ofType(type: string): RecordedResource[];
    one(type: string): RecordedResource;
}

/** The dev stack's config (Pulumi.dev.yaml) with overrides; an override of `undefined` removes the key. */
export function devStackConfig(overrides: Record<string, string | undefined> = {}): Record<string, string> {
    const merged: Record<string, string | undefined> = { ...readStackConfigFile("dev", PROJECT_DIR), ...overrides };
    return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

export async function runProgram(overrides: Record<string, string | undefined> = {}): Promise<ProgramRun> {
    resetRecorded();
    // Config must be in place before the program is imported: it is read at module load.
    pulumi.runtime.setAllConfig(devStackConfig(overrides));
    forgetProjectModules();
    const program: Record<string, unknown> = require(path.join(PROJECT_DIR, "index"));
    const outputs = await resolveAll(program);
    await settleRegistrations();
    const resources = [...recorded];
    const ofType = (type: string) => resources.filter((r) => r.type === type);
    return {
        outputs,
        resources,
        urns: [...registeredUrns],
        ofType,
        one(type) {
            const found = ofType(type);
            if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
            return found[0];
        },
    };
}

/** Drops the project's own modules from require's cache so the program runs afresh with new config. */
function forgetProjectModules(): void {
    for (const file of Object.keys(require.cache)) {
        if (
            file.startsWith(PROJECT_DIR) &&
            !file.includes(`${path.sep}node_modules${path.sep}`) &&
            !file.includes(`${path.sep}tests${path.sep}`)
        ) {
            delete require.cache[file];
        }
    }
}

async function resolveAll(program: Record<string, unknown>): Promise<Record<string, unknown>> {
    const entries = await Promise.all(
        Object.entries(program).map(
            async ([key, value]) =>
                [
                    key,
                    await new Promise((resolve) =>
                        (pulumi.output(value as any) as pulumi.Output<unknown>).apply(resolve),
                    ),
                ] as const,
        ),
    );
    return Object.fromEntries(entries);
}

/** Awaiting outputs does not wait for every child: wait until the runtime's RPC queue has drained. */
async function settleRegistrations(): Promise<void> {
    const settings = require("@pulumi/pulumi/runtime/settings");
    await settings.waitForRPCs();
}

/** Parses a JSON policy input (string or Output already resolved by the mocks). */
export function parsePolicy(policy: unknown): { Statement: any[] } {
    if (typeof policy !== "string") throw new Error(`policy is not JSON text: ${typeof policy}`);
    return JSON.parse(policy);
}
