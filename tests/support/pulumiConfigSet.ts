// A small re-implementation of what `pulumi config set [--path] <key> <value>` stores, to replay the README's
// commands offline. Rules from the Pulumi CLI's own code (github.com/pulumi/pulumi, sdk/go/common/resource/config):
// - key.go ParseKey: `<namespace>:<name>`; a key without a namespace gets the project's name (the CLI adds it).
// - map.go Map.Set: without --path, or with a one-segment path, the value is stored as the plain string given.
//   With a longer path, the stored root is decoded; the value is coerced (object.go `coerce`: "true"/"false"
//   become booleans, base-10 digits not starting with "0" become integers, all else stays a string).
// - object.go object.Set: a root that is a plain string is replaced by a new container (the "COMPAT" branch);
//   a missing/nil value becomes a new container (newContainer: an array of length index+1 for `[index]`, so
//   `K[2]` on a string or missing key gives [null, null, V]); on an existing array an index past the end is an
//   error ("array index out of range"), index == length appends; a non-array where `[i]` is deeper is an error.
// - The program receives strings as they are and structured values as JSON text (what
//   pulumi.runtime.allConfig() gives; config/stackConfigFile.ts does the same for a stack file).

export type StoredValue = string | null | boolean | number | StoredValue[] | { [key: string]: StoredValue };
export type StackConfig = Map<string, StoredValue>;

export interface ConfigSetCommand {
    path: boolean;
    key: string;
    value: string;
}

/** Splits one shell command line (single/double quotes, backslash escapes, `#` comments) into words. */
export function shellWords(line: string): string[] {
    const words: string[] = [];
    let word: string | undefined;
    for (let i = 0; i < line.length; i++) {
        const char = line[i];
        if (char === "'") {
            const end = line.indexOf("'", i + 1);
            if (end < 0) throw new Error(`Unclosed ' in: ${line}`);
            word = (word ?? "") + line.slice(i + 1, end);
            i = end;
        } else if (char === '"') {
            let text = "";
            for (i++; i < line.length && line[i] !== '"'; i++) text += line[i] === "\\" ? line[++i] : line[i];
            if (i >= line.length) throw new Error(`Unclosed " in: ${line}`);
            word = (word ?? "") + text;
        } else if (char === "\\") {
            word = (word ?? "") + line[++i];
        } else if (/\s/.test(char)) {
            if (word !== undefined) words.push(word);
            word = undefined;
        } else if (char === "#" && word === undefined) {
            break;
        } else {
            word = (word ?? "") + char;
        }
    }
    if (word !== undefined) words.push(word);
    return words;
}

/** `pulumi config set [--path] KEY VALUE`; other flags are refused rather than guessed at. */
export function parseConfigSet(line: string): ConfigSetCommand {
    const words = shellWords(line);
    if (words[0] !== "pulumi" || words[1] !== "config" || words[2] !== "set")
        throw new Error(`Not a pulumi config set: ${line}`);
    const rest = words.slice(3);
    const path = rest[0] === "--path";
    const args = path ? rest.slice(1) : rest;
    if (args.some((arg) => arg.startsWith("-"))) throw new Error(`Unsupported flag in: ${line}`);
    if (args.length !== 2) throw new Error(`Expected KEY VALUE in: ${line}`);
    return { path, key: args[0], value: args[1] };
}

type Segment = string | number;

/** The name part of a key as a property path: `a`, `a.b`, `a[0]`, `a["b.c"]` (resource.ParsePropertyPath). */
export function parsePropertyPath(name: string): Segment[] {
    const segments: Segment[] = [];
    const pattern = /^(?:\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.?([^.[\]]+))/;
    let rest = name;
    while (rest.length > 0) {
        const match = pattern.exec(rest);
        if (!match || (segments.length === 0 && match[3] === undefined && match[2] === undefined)) {
            throw new Error(`invalid config key path ${JSON.stringify(name)}`);
        }
        segments.push(match[1] !== undefined ? Number(match[1]) : (match[2] ?? match[3]));
        rest = rest.slice(match[0].length);
    }
    return segments;
}

function fullKey(key: string, project: string): { namespace: string; name: string } {
    const colons = key.split(":").length - 1;
    if (colons === 0) return { namespace: project, name: key };
    if (colons === 1) return { namespace: key.slice(0, key.indexOf(":")), name: key.slice(key.indexOf(":") + 1) };
    throw new Error(`could not parse ${key} as a configuration key`);
}

/** object.go `coerce`. */
function coerce(value: string): StoredValue {
    if (value === "true" || value === "false") return value === "true";
    if (value.length > 1 && value[0] === "0") return value;
    return /^-?\d+$/.test(value) ? Number(value) : value;
}

function newContainer(accessor: Segment): StoredValue {
    return typeof accessor === "number" ? new Array(accessor + 1).fill(null) : {};
}

/** object.go object.Set, on a holder so the receiver can be replaced. */
function setAt(
    holder: { value: StoredValue },
    prefixLength: number,
    path: Segment[],
    value: StoredValue,
    shown: string,
): void {
    if (path.length === 0) {
        holder.value = value;
        return;
    }
    const current = holder.value;
    const isContainer = Array.isArray(current) || (current !== null && typeof current === "object");
    if (!isContainer) {
        if (current === null || prefixLength === 1) holder.value = newContainer(path[0]);
        else throw new Error(`${shown}: expected ${typeof path[0] === "number" ? "an array" : "a map"}`);
    }
    const container = holder.value;
    const [head, ...tail] = path;
    if (Array.isArray(container)) {
        if (typeof head !== "number") throw new Error(`${shown}: key for an array must be an int`);
        if (head < 0 || head > container.length) throw new Error(`${shown}: array index out of range`);
        if (head === container.length) container.push(null);
        const element = { value: container[head] };
        setAt(element, prefixLength + 1, tail, value, shown);
        container[head] = element.value;
    } else {
        if (typeof head !== "string") throw new Error(`${shown}: expected an array`);
        const map = container as { [key: string]: StoredValue };
        const element = { value: map[head] ?? null };
        setAt(element, prefixLength + 1, tail, value, shown);
        map[head] = element.value;
    }
}

/** Applies one command to the stack's config the way the CLI stores it (map.go Map.Set). */
export function applyConfigSet(config: StackConfig, command: ConfigSetCommand, project: string): void {
    const { namespace, name } = fullKey(command.key, project);
    if (!command.path) {
        config.set(`${namespace}:${name}`, command.value);
        return;
    }
    const path = parsePropertyPath(name);
    if (typeof path[0] !== "string") throw new Error("first path segment of config key must be a string");
    const key = `${namespace}:${path[0]}`;
    if (path.length === 1) {
        config.set(key, command.value);
        return;
    }
    const root = { value: config.has(key) ? structuredClone(config.get(key)!) : newContainer(path[1]) };
    setAt(root, 1, path.slice(1), coerce(command.value), command.key);
    config.set(key, root.value);
}

/** What the program sees: strings as stored, structured values as JSON text. */
export function programConfig(config: StackConfig): Record<string, string> {
    return Object.fromEntries(
        [...config].map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
    );
}
