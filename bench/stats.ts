// Small timing helpers: medians and percentiles of repeated runs, measured in one process.
import { performance } from "perf_hooks";

export function percentile(values: number[], p: number): number {
    if (values.length === 0) return NaN;
    const sorted = [...values].sort((a, b) => a - b);
    const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[index];
}

export const median = (values: number[]) => percentile(values, 50);

/** Milliseconds of each of `runs` calls, after `warmups` untimed ones; `prepare` runs untimed before each. */
export async function timeRuns(
    runs: number,
    warmups: number,
    run: () => Promise<unknown>,
    prepare?: () => Promise<unknown>,
): Promise<number[]> {
    for (let i = 0; i < warmups; i++) {
        await prepare?.();
        await run();
    }
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        await prepare?.();
        const started = performance.now();
        await run();
        times.push(performance.now() - started);
    }
    return times;
}

export const round = (value: number, digits = 1) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);

/** The `RESULT {json}` line a benchmark child process prints (the code it runs may log to stdout too). */
export function parseResult(stdout: string): any {
    const line = stdout
        .split("\n")
        .reverse()
        .find((l) => l.startsWith("RESULT "));
    if (!line) throw new Error(`no RESULT line in: ${stdout.slice(0, 300)}`);
    return JSON.parse(line.slice("RESULT ".length));
}
