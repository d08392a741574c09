// glibc's malloc keeps memory that sharp/libvips freed: one arena per thread (up to 8 per core) and a
// threshold for mmap that rises with every large block freed, so big decode buffers land in arenas that
// fragment. Measured on `npm start` (bench/memoryBench.ts, 2 cores, 20 concurrent first hits on a 17.9 MP
// JPEG, one resize at a time, this parent not counted): peak 568 MB and 478 MB resident 5 s later by default;
// 383 MB and 278 MB (idle 233 MB) with the settings below. glibc reads them only when a process starts, so
// local mode starts its server as a child process with them (the cost: this ~90 MB parent that waits for it).
import { spawn } from "child_process";

/** Two arenas, and a fixed 128 KiB mmap threshold (glibc's default, no longer raised): large blocks go back to the OS when freed. */
export const MALLOC_SETTINGS: Record<string, string> = { MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "131072" };

const usesGlibc = () =>
    process.platform === "linux" &&
    Boolean(
        (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header
            ?.glibcVersionRuntime,
    );

/**
 * On glibc, unless MALLOC_ARENA_MAX is already set: run this same script again as a child with the settings,
 * pass it SIGINT/SIGTERM, and exit with its code; true when it did (the caller must then do nothing else).
 * sharp then also gives libvips every core (it limits itself to one thread per image on untuned glibc).
 */
export function relaunchWithMallocSettings(): boolean {
    if (process.env.MALLOC_ARENA_MAX !== undefined || !usesGlibc()) return false;
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
        env: { ...process.env, ...MALLOC_SETTINGS },
        stdio: "inherit",
    });
    const forward = (signal: NodeJS.Signals) => () => {
        child.kill(signal);
    };
    process.on("SIGINT", forward("SIGINT"));
    process.on("SIGTERM", forward("SIGTERM"));
    child.on("error", (error) => {
        console.error(`Could not start the local pipeline: ${error.message}`);
        process.exit(1);
    });
    child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
    return true;
}
