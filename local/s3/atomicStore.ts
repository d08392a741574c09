// S3 never stores a partial object: an upload whose body does not arrive whole leaves the key as it was.
// s3rver's FilesystemStore (node_modules/s3rver/lib/stores/filesystem.js) writes the object file in place, so a
// client that disconnects mid-body leaves a truncated object served with 200. This wraps the store's writes
// (PUT and POST: putObject; CompleteMultipartUpload: putObjectMultipart → putObject; UploadPart: putPart) to
// write to a temporary name in the same folder and rename once the body has fully arrived.
import { randomBytes, createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Readable, Transform } from "stream";
import { pipeline } from "stream/promises";

/** The part of s3rver's FilesystemStore this relies on. */
export interface FilesystemStoreLike {
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    putMetadata(bucket: string, key: string, metadata: Record<string, unknown>, md5?: string): Promise<void>;
    putObject(object: {
        bucket: string;
        key: string;
        content: Readable | Buffer;
        metadata: Record<string, unknown>;
    }): Promise<{ size: number; md5: string }>;
    getObject(bucket: string, key: string, options?: unknown): Promise<unknown>;
    putPart(
        bucket: string,
        uploadId: string,
        partNumber: number,
        content: Readable,
    ): Promise<{ size: number; md5: string }>;
}

/** Names listObjects never takes for an object (it only lists files ending in "._S3rver_object"). */
function temporaryName(): string {
    return `.partial-${randomBytes(8).toString("hex")}`;
}

/** Writes content to file, resolving its size and MD5 only when all of it arrived; the file is removed otherwise. */
async function writeWhole(content: Readable | Buffer, file: string): Promise<{ size: number; md5: string }> {
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
        // pipeline rejects when the source errors or closes before its end (a client that disconnects mid-body).
        await pipeline(
            Buffer.isBuffer(content) ? Readable.from([content]) : content,
            counter,
            fs.createWriteStream(file),
        );
    } catch (error) {
        await fs.promises.rm(file, { force: true });
        throw error;
    }
    return { size, md5: md5.digest("hex") };
}

/**
 * One operation at a time per key. A replacement renames the metadata files and then the object file, and s3rver's
 * getObject reads the metadata and then opens the object: interleaved, a reader would get the new Content-Length
 * with the old bytes (a short or cut body). So the renames and each read's metadata-and-open hold the key's turn;
 * a read that has opened the file keeps the bytes it opened, whatever is renamed over them afterwards.
 */
function keyTurns() {
    const turns = new Map<string, Promise<unknown>>();
    return async <T>(id: string, work: () => Promise<T>): Promise<T> => {
        const current = (turns.get(id) ?? Promise.resolve()).then(work);
        const settled = current.then(
            () => undefined,
            () => undefined,
        );
        turns.set(id, settled);
        try {
            return await current;
        } finally {
            if (turns.get(id) === settled) turns.delete(id);
        }
    };
}

export function makeStoreAtomic(store: FilesystemStoreLike): void {
    const inTurn = keyTurns();
    const { getObject } = store;
    store.getObject = (bucket, key, options) =>
        inTurn(`${bucket}/${key}`, () => getObject.call(store, bucket, key, options));
    store.putObject = async (object) => {
        const objectPath = store.getResourcePath(object.bucket, object.key, "object");
        const folder = path.dirname(objectPath);
        await fs.promises.mkdir(folder, { recursive: true });
        // A temporary key in the same folder: its metadata files are written by s3rver's own putMetadata.
        const keyFolder = object.key.includes("/") ? object.key.slice(0, object.key.lastIndexOf("/") + 1) : "";
        const temporaryKey = `${keyFolder}${temporaryName()}`;
        const temporaryObject = store.getResourcePath(object.bucket, temporaryKey, "object");
        const { size, md5 } = await writeWhole(object.content, temporaryObject);
        const resources = ["metadata.json", "object.md5"];
        try {
            await store.putMetadata(object.bucket, temporaryKey, object.metadata, md5);
            // The swap holds the key's turn (see keyTurns): no read sees new metadata beside old bytes.
            await inTurn(`${object.bucket}/${object.key}`, async () => {
                for (const resource of resources) {
                    await fs.promises.rename(
                        store.getResourcePath(object.bucket, temporaryKey, resource),
                        store.getResourcePath(object.bucket, object.key, resource),
                    );
                }
                await fs.promises.rename(temporaryObject, objectPath);
            });
        } finally {
            for (const resource of ["object", ...resources]) {
                await fs.promises.rm(store.getResourcePath(object.bucket, temporaryKey, resource), { force: true });
            }
        }
        return { size, md5 };
    };

    store.putPart = async (bucket, uploadId, partNumber, content) => {
        const partPath = path.join(store.getResourcePath(bucket, undefined, "uploads"), uploadId, String(partNumber));
        await fs.promises.mkdir(path.dirname(partPath), { recursive: true });
        const temporary = path.join(path.dirname(partPath), temporaryName());
        const { size, md5 } = await writeWhole(content, temporary);
        await fs.promises.writeFile(`${temporary}.md5`, md5);
        await fs.promises.rename(`${temporary}.md5`, `${partPath}.md5`);
        await fs.promises.rename(temporary, partPath);
        return { size, md5 };
    };
}
