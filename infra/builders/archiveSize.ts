// How many bytes a Lambda code archive takes once zipped, as Pulumi uploads it (deflate per file plus zip headers).
import * as fs from "fs";
import * as path from "path";
import { deflateRawSync } from "zlib";

const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const END_OF_DIRECTORY = 22;

function entrySize(name: string, content: Buffer): number {
    return deflateRawSync(content, { level: 9 }).length + LOCAL_HEADER + CENTRAL_HEADER + 2 * Buffer.byteLength(name);
}

/** Zipped size of in-memory files (name → content). */
export function zippedSize(files: Map<string, string | Buffer>): number {
    let size = END_OF_DIRECTORY;
    for (const [name, content] of files) size += entrySize(name, Buffer.from(content));
    return size;
}

/** Zipped size of every file below `dir`, stored under `prefix/` in the archive. */
export function zippedDirectorySize(dir: string, prefix: string): number {
    let size = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        const name = `${prefix}/${entry.name}`;
        if (entry.isDirectory()) size += zippedDirectorySize(file, name);
        else if (entry.isFile()) size += entrySize(name, fs.readFileSync(file));
    }
    return size;
}
