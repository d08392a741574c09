// A function's settings in its Lambda environment: each settings type lists, field by field, the variable it
// travels in (envCodec), so one table both encodes (the stack, local mode) and decodes (the function's cold start).
// Reading fails the cold start loudly on a missing or malformed value.

import { IMAGE_CONTENT_TYPES, ImageContentType } from "./imageTypes";

type Env = Record<string, string | undefined>;

/** The variable the stack's metrics namespace travels in, the same for every function that publishes metrics. */
export const METRICS_NAMESPACE = "METRICS_NAMESPACE";

/** How one setting travels: the variables it writes, and how it is read back. */
export interface EnvField<T> {
    encode(value: T): Record<string, string>;
    decode(env: Env): T;
}

function required(env: Env, name: string): string {
    const value = env[name];
    if (value === undefined || value === "") throw new Error(`Missing environment variable ${name}`);
    return value;
}

/** Text, required; `normalize` tidies it as read (a URL's trailing slashes ...). */
export function text(name: string, normalize: (value: string) => string = (value) => value): EnvField<string> {
    return { encode: (value) => ({ [name]: value }), decode: (env) => normalize(required(env, name)) };
}

/** Text that may be absent: not written when empty, read as absent when unset or empty. */
export function optionalText(name: string): EnvField<string | undefined> {
    return { encode: (value) => (value ? { [name]: value } : {}), decode: (env) => env[name] || undefined };
}

/** A whole number of at least 1. */
export function positive(name: string): EnvField<number> {
    return {
        encode: (value) => ({ [name]: String(value) }),
        decode: (env) => {
            const value = Number(required(env, name));
            if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
            return value;
        },
    };
}

/** true or false (an absent value is written false); anything but "true" reads as false. */
export function flag(name: string): EnvField<boolean> {
    return {
        encode: (value: boolean | undefined) => ({ [name]: String(value ?? false) }),
        decode: (env) => env[name] === "true",
    };
}

/** One of `choices`. */
export function oneOf<T extends string>(name: string, choices: readonly T[]): EnvField<T> {
    return {
        encode: (value) => ({ [name]: value }),
        decode: (env) => {
            const value = required(env, name);
            if (!(choices as readonly string[]).includes(value))
                throw new Error(`${name} must be one of ${choices.join(", ")}`);
            return value as T;
        },
    };
}

/** A comma-separated list (unset or empty: none), each item one of `choices` when given. */
export function list<T extends string = string>(name: string, choices?: readonly T[]): EnvField<T[]> {
    return {
        encode: (value) => ({ [name]: value.join(",") }),
        decode: (env) => {
            const items = (env[name] ?? "").split(",").filter(Boolean);
            if (choices && !items.every((item) => (choices as readonly string[]).includes(item)))
                throw new Error(`${name} must list only ${choices.join(", ")}`);
            return items as T[];
        },
    };
}

/** Content types (imageTypes'), at least one: the unknown ones are named in the error. */
export function contentTypes(name: string): EnvField<ImageContentType[]> {
    const known: readonly string[] = IMAGE_CONTENT_TYPES;
    return {
        encode: (value) => ({ [name]: value.join(",") }),
        decode: (env) => {
            const items = required(env, name).split(",");
            const unknown = items.filter((item) => !known.includes(item));
            if (unknown.length > 0) throw new Error(`${name} has unknown types: ${unknown.join(", ")}`);
            return items as ImageContentType[];
        },
    };
}

/** A setting that may be absent: not written when undefined, read only when `name` (its marker) is set. */
export function optional<T>(name: string, field: EnvField<T>): EnvField<T | undefined> {
    return {
        encode: (value) => (value === undefined ? {} : field.encode(value)),
        decode: (env) => (env[name] === undefined ? undefined : field.decode(env)),
    };
}

/** A settings object's codec from one field per property (a property decoded as undefined is left out). */
export function envCodec<S extends object>(fields: { [K in keyof S]-?: EnvField<S[K]> }): EnvField<S> {
    const entries = Object.entries(fields) as [keyof S & string, EnvField<unknown>][];
    return {
        encode: (settings) =>
            Object.assign(
                {},
                ...entries.map(([key, field]) => field.encode((settings as Record<string, unknown>)[key])),
            ),
        decode: (env) => {
            const settings: Record<string, unknown> = {};
            for (const [key, field] of entries) {
                const value = field.decode(env);
                if (value !== undefined) settings[key] = value;
            }
            return settings as S;
        },
    };
}
