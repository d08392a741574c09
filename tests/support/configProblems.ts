// Config values as specs write them: bare key names under the project's namespace, and what the config says when it
// refuses them.
import { expect } from "chai";
import { ConfigError, parsePipelineConfig } from "../../config/stackConfig";

/** { key: value } as "image-pipeline:<key>" config entries. */
export const ns = (values: Record<string, string>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [`image-pipeline:${k}`, v]));

/** The ConfigError message for values the config must refuse; throws if it takes them. */
export function problemsOf(values: Record<string, string>): string {
    try {
        parsePipelineConfig(ns(values));
    } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        return (error as Error).message;
    }
    throw new Error(`expected ${JSON.stringify(values)} to be rejected`);
}
