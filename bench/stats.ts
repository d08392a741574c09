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

/** a and b run alternately, `runs` pairs after one warm-up pair, so both see the same machine at the same
 *  moment (this bench shares its cores); their median times and the median of the pairwise ratios a/b.
 *  `prepare` runs untimed before each call of a and of b (e.g. removing a stored variant for a first hit). */
export async function sideBySide(
    runs: number,
    a: () => Promise<unknown>,
    b: () => Promise<unknown>,
    prepare: { a?: () => Promise<unknown>; b?: () => Promise<unknown> } = {},
) {
    const timed = async (run: () => Promise<unknown>, before?: () => Promise<unknown>) => {
        await before?.();
        const started = performance.now();
        await run();
        return performance.now() - started;
    };
    await timed(a, prepare.a);
    await timed(b, prepare.b);
    const aTimes: number[] = [];
    const bTimes: number[] = [];
    for (let i = 0; i < runs; i++) {
        aTimes.push(await timed(a, prepare.a));
        bTimes.push(await timed(b, prepare.b));
    }
    return {
        aMs: median(aTimes),
        bMs: median(bTimes),
        ratio: median(aTimes.map((time, i) => time / bTimes[i])),
        aTimes,
        bTimes,
    };
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
