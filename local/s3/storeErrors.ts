// A full or read-only data folder must fail the one write, not the server. s3rver's own FilesystemStore
// (node_modules/s3rver/lib/stores/filesystem.js, putObject and putPart) pipes the body into an fs write stream
// with no 'error' listener, which ends the process on EACCES, EPERM, ENOSPC or EROFS; local/s3/atomicStore.ts
// replaces both writes with ones that observe every stream error (and remove the partial file). This module
// logs the cause of each failed write, so the 500 InternalError the request gets is explained in the log.
import type { FilesystemStoreLike } from "./atomicStore";

/** Logs the cause of every failed write (whichever putObject/putPart the store has now), then fails as before. */
export function logStoreWriteErrors(store: FilesystemStoreLike, log: (line: string) => void): void {
    const logged = async <T>(what: string, write: () => Promise<T>): Promise<T> => {
        try {
            return await write();
        } catch (error) {
            const { code, message } = error as NodeJS.ErrnoException;
            log(
                JSON.stringify({
                    level: "error",
                    message: `local S3 could not write ${what}`,
                    code,
                    error: String(message).slice(0, 300),
                }),
            );
            throw error;
        }
    };
    const { putObject, putPart } = store;
    store.putObject = (object) => logged("an object", () => putObject.call(store, object));
    store.putPart = (bucket, uploadId, partNumber, content) =>
        logged("an upload part", () => putPart.call(store, bucket, uploadId, partNumber, content));
}
