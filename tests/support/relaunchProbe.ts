// Run as a script by tests/e2e/localMallocSettings.spec.ts: relaunches itself as local/start.ts does, then the process
// that serves reports the malloc settings it started with. `exit N` exits with N; `wait` waits for SIGTERM.
import { relaunchWithMallocSettings } from "../../local/mallocSettings";

if (!relaunchWithMallocSettings()) {
    const [mode, value] = process.argv.slice(2);
    // The handler first: the spec signals as soon as it reads the report line below.
    process.on("SIGTERM", () => {
        console.log("PROBE stopped by SIGTERM");
        process.exit(0);
    });
    console.log(
        `PROBE ${JSON.stringify({ pid: process.pid, ppid: process.ppid, arenaMax: process.env.MALLOC_ARENA_MAX ?? null, mmapThreshold: process.env.MALLOC_MMAP_THRESHOLD_ ?? null })}`,
    );
    if (mode === "exit") process.exit(Number(value));
    setInterval(() => undefined, 1000);
}
