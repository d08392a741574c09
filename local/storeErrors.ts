// A full or read-only data folder must fail the one write, not the server. s3rver's FilesystemStore
// (node_modules/s3rver/lib/stores/filesystem.js, putObject and putPart) pipes the body into an fs write stream
// with no 'error' listener: EACCES, EPERM, ENOSPC or EROFS on open or write is then an uncaught 'error' event
// that ends the whole `npm start` process. Here the two writes go through stream.pipeline, which observes every
// stream's errors, so the write rejects, s3rver answers that request 500 InternalError, and the cause is logged.
// (An atomic store that replaces these two methods and observes errors itself makes observeStoreWriteErrors
// redundant; logStoreWriteErrors wraps whichever writes the store has.)
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Readable, Transform } from "stream";
import { pipeline } from "stream/promises";

/** The part of s3rver's FilesystemStore this wraps. */
export interface WritableStore {
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    putMetadata(bucket: string, key: string, metadata: Record<string, unknown>, md5?: string): Promise<void>;
    putObject(object: { bucket: string; key: string; content: Readable | Buffer; metadata: Record<string, unknown> }): Promise<{ size: number; md5: string }>;
    putPart(bucket: string, uploadId: string, partNumber: number, content: Readable): Promise<{ size: number; md5: string }>;
}

/** Writes content to file; rejects (never an unobserved 'error') and removes the file when the file system refuses. */
async function writeObserved(content: Readable | Buffer, file: string): Promise<{ size: number; md5: string }> {
    const md5 = createHash("md5");
    let size = 0;
    const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
            md5.update(chunk);
            size += chunk.length;
            callback(null, chunk);
        },
    });
    try {
        await pipeline(Buffer.isBuffer(content) ? Readable.from([content]) : content, counter, fs.createWriteStream(file));
    } catch (error) {
        await fs.promises.rm(file, { force: true }).catch(() => undefined); // no half-written object left behind
        throw error;
    }
    return { size, md5: md5.digest("hex") };
}

/** Replaces s3rver's own putObject and putPart by writes whose stream errors are observed (same layout, same result). */
export function observeStoreWriteErrors(store: WritableStore): void {
    store.putObject = async (object) => {
        const objectPath = store.getResourcePath(object.bucket, object.key, "object");
        await fs.promises.mkdir(path.dirname(objectPath), { recursive: true });
        const { size, md5 } = await writeObserved(object.content, objectPath);
        await store.putMetadata(object.bucket, object.key, object.metadata, md5);
        return { size, md5 };
    };
    store.putPart = async (bucket, uploadId, partNumber, content) => {
        const partPath = path.join(store.getResourcePath(bucket, undefined, "uploads"), uploadId, String(partNumber));
        await fs.promises.mkdir(path.dirname(partPath), { recursive: true });
        const { size, md5 } = await writeObserved(content, partPath);
        await fs.promises.writeFile(`${partPath}.md5`, md5);
        return { size, md5 };
    };
}

/** Logs the cause of every failed write (whichever putObject/putPart the store has now), then fails as before. */
export function logStoreWriteErrors(store: WritableStore, log: (line: string) => void): void {
    const logged = async <T>(what: string, write: () => Promise<T>): Promise<T> => {
        try {
            return await write();
        } catch (error) {
            const { code, message } = error as NodeJS.ErrnoException;
            log(JSON.stringify({ level: "error", message: `local S3 could not write ${what}`, code, error: String(message).slice(0, 300) }));
            throw error;
        }
    };
    const { putObject, putPart } = store;
    store.putObject = (object) => logged("an object", () => putObject.call(store, object));
    store.putPart = (bucket, uploadId, partNumber, content) => logged("an upload part", () => putPart.call(store, bucket, uploadId, partNumber, content));
}
