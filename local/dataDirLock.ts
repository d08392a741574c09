// One `npm start` per stack: a second one would rewrite the first one's bucket CORS and could wipe its data
// with --reset. The lock is a file beside the data folder (so --reset, which removes the folder, keeps it),
// created exclusively, holding the owner's pid; a lock whose process is gone is stale and taken over.
import * as fs from "fs";
import * as path from "path";

export class DataDirLockedError extends Error {
    constructor(
        readonly dataDir: string,
        readonly pid: number,
    ) {
        super(
            `${dataDir} is in use by process ${pid} (another npm start of this stack); stop it first, or start another stack`,
        );
        this.name = "DataDirLockedError";
    }
}

export interface DataDirLock {
    path: string;
    release(): void;
}

export function lockDataDir(dataDir: string, pid = process.pid): DataDirLock {
    const lockPath = `${dataDir}.lock`;
    fs.mkdirSync(path.dirname(lockPath), { recursive: true });
    for (let attempt = 0; attempt < 3; attempt++) {
        try {
            fs.writeFileSync(lockPath, `${pid}\n`, { flag: "wx" });
            return {
                path: lockPath,
                release() {
                    if (ownerOf(lockPath) === pid) fs.rmSync(lockPath, { force: true });
                },
            };
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
        const owner = ownerOf(lockPath);
        if (owner !== undefined && owner !== pid && isAlive(owner)) throw new DataDirLockedError(dataDir, owner);
        fs.rmSync(lockPath, { force: true }); // stale (its process is gone) or unreadable: take it over
    }
    throw new Error(`Could not lock ${dataDir}: ${lockPath} keeps reappearing`);
}

function ownerOf(lockPath: string): number | undefined {
    try {
        const pid = Number(fs.readFileSync(lockPath, "utf8").trim());
        return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
        return undefined;
    }
}

function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0); // signal 0: only checks that the process exists
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
    }
}
