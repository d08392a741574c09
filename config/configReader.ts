// Reads one config key at a time from its raw text, recording a problem (and returning the default) instead of
// throwing, so every invalid key is reported at once (ConfigError, config/stackConfig.ts).
import { quoteInput as quote } from "../functions/shared/quoteInput";

export class ConfigReader {
    constructor(
        private readonly raw: Map<string, string>,
        private readonly problems: string[],
        private readonly namespace: string,
    ) {}

    /** The key's raw text; undefined when it is not set. */
    text(key: string): string | undefined {
        return this.raw.get(key);
    }

    fail(key: string, value: string, why: string): void {
        this.problems.push(`${this.namespace}:${key}: ${quote(value)} ${why}`);
    }

    integer(key: string, fallback: number, min: number, max: number, why = ""): number {
        const value = this.raw.get(key);
        if (value === undefined) return fallback;
        const number = /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
        if (!Number.isSafeInteger(number) || number < min || number > max) {
            this.fail(key, value, `is not a whole number from ${min} to ${max}${why ? ` ${why}` : ""}`);
            return fallback;
        }
        return number;
    }

    boolean(key: string, fallback: boolean): boolean {
        const value = this.raw.get(key);
        if (value === undefined) return fallback;
        if (value === "true" || value === "false") return value === "true";
        this.fail(key, value, "is not true or false");
        return fallback;
    }

    oneOf<T extends string>(key: string, fallback: T, choices: readonly T[]): T {
        const value = this.raw.get(key);
        if (value === undefined) return fallback;
        if ((choices as readonly string[]).includes(value)) return value as T;
        this.fail(key, value, `is not one of ${choices.join(", ")}`);
        return fallback;
    }

    optionalString(key: string, check: (value: string) => string | undefined): string | undefined {
        const value = this.raw.get(key)?.trim();
        if (value === undefined || value === "") return undefined;
        const problem = check(value);
        if (problem) {
            this.fail(key, value, problem);
            return undefined;
        }
        return value;
    }

    /** A list given as JSON (`--path` / YAML list) or as a comma-separated string. */
    list(
        key: string,
        fallback: string[],
        check: (item: string) => string | undefined,
        options: { allowEmpty?: boolean } = {},
    ): string[] {
        const value = this.raw.get(key);
        if (value === undefined) return fallback;
        const items = parseList(value);
        if (!items) {
            this.fail(key, value, "is neither a comma-separated list nor a JSON list of strings");
            return fallback;
        }
        if (items.length === 0 && options.allowEmpty === false) {
            this.fail(key, value, "must not be empty");
            return fallback;
        }
        const seen = new Set<string>();
        let valid = true;
        for (const item of items) {
            const problem = seen.has(item) ? "is listed twice" : check(item);
            seen.add(item);
            if (problem) {
                this.fail(key, item, problem);
                valid = false;
            }
        }
        return valid ? items : fallback;
    }
}

function parseList(value: string): string[] | undefined {
    const text = value.trim();
    if (text.startsWith("[")) {
        try {
            const parsed: unknown = JSON.parse(text);
            if (Array.isArray(parsed) && parsed.every((item) => typeof item === "string")) {
                return parsed.map((item) => item.trim());
            }
        } catch {
            // fall through: not JSON
        }
        return undefined;
    }
    return text === "" ? [] : text.split(",").map((item) => item.trim());
}
