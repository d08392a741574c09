import { expect } from "chai";
import { spawn } from "child_process";
import * as path from "path";
import { MALLOC_SETTINGS } from "../../local/mallocSettings";

const PROBE = path.join(__dirname, "..", "support", "relaunchProbe.ts");
const onGlibc =
    process.platform === "linux" &&
    Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

/** Runs the probe as `npm start` runs local/start.ts (node + ts-node); resolves when it exits. */
function runProbe(args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string, pid: number) => void) {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", PROBE, ...args], {
        env,
        stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
        output += chunk;
        for (const line of String(chunk).split("\n")) if (line.startsWith("PROBE")) onLine?.(line, child.pid!);
    });
    return new Promise<{ code: number | null; lines: string[]; pid: number }>((resolve) =>
        child.on("exit", (code) =>
            resolve({ code, lines: output.split("\n").filter((line) => line.startsWith("PROBE")), pid: child.pid! }),
        ),
    );
}

const report = (lines: string[]) =>
    JSON.parse(lines.find((line) => line.startsWith("PROBE {"))!.slice("PROBE ".length));
const withoutMallocSettings = () =>
    Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("MALLOC_")));

describe("npm start's malloc settings (local/mallocSettings.ts): memory goes back to the OS after resizing", () => {
    before(function () {
        if (!onGlibc) this.skip(); // the settings are glibc's; elsewhere local/start.ts runs as it is
    });

    it("runs the server in a child started with MALLOC_ARENA_MAX=2 and a fixed MALLOC_MMAP_THRESHOLD_, and exits with its code", async () => {
        const { code, lines, pid } = await runProbe(["exit", "3"], withoutMallocSettings());
        const served = report(lines);
        expect(served.ppid).to.equal(pid); // a child of the process npm started
        expect({ arenaMax: served.arenaMax, mmapThreshold: served.mmapThreshold }).to.deep.equal({
            arenaMax: MALLOC_SETTINGS.MALLOC_ARENA_MAX,
            mmapThreshold: MALLOC_SETTINGS.MALLOC_MMAP_THRESHOLD_,
        });
        expect(MALLOC_SETTINGS).to.deep.equal({ MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "131072" });
        expect(code).to.equal(3);
    });

    it("passes SIGTERM on to the server, which stops cleanly, and then ends itself", async () => {
        let stopping = false;
        const { code, lines } = await runProbe(["wait"], withoutMallocSettings(), (line, parentPid) => {
            if (line.startsWith("PROBE {") && !stopping) {
                stopping = true;
                process.kill(parentPid, "SIGTERM"); // only the parent, as npm signals its script
            }
        });
        expect(lines).to.include("PROBE stopped by SIGTERM");
        expect(code).to.equal(0);
    });

    it("starts no second process when MALLOC_ARENA_MAX is already set (the user's choice stands)", async () => {
        const { code, lines, pid } = await runProbe(["exit", "0"], {
            ...withoutMallocSettings(),
            MALLOC_ARENA_MAX: "4",
        });
        const served = report(lines);
        expect(served.pid).to.equal(pid);
        expect(served.arenaMax).to.equal("4");
        expect(code).to.equal(0);
    });
});
