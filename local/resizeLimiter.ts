// Bounds how many calls of an async function run at once. Calls beyond the bound wait in a FIFO queue and run
// when a slot frees up: nothing is refused here, and a queued call holds nothing but its arguments (the resize
// handler reads the original only once it runs, so waiting requests keep no image bytes in memory).
export function limitConcurrency<A extends unknown[], R>(
    fn: (...args: A) => Promise<R>,
    limit: number,
): (...args: A) => Promise<R> {
    if (!Number.isInteger(limit) || limit < 1)
        throw new RangeError(`limit must be a whole number of at least 1, not ${limit}`);
    let running = 0;
    const waiting: Array<() => void> = [];

    /** A finished call hands its slot straight to the oldest waiter, so a newcomer cannot overtake the queue. */
    function release(): void {
        const next = waiting.shift();
        if (next) next();
        else running--;
    }

    return async (...args: A): Promise<R> => {
        if (running < limit) running++;
        else await new Promise<void>((resolve) => waiting.push(resolve)); // never rejects: nothing to leave unobserved
        try {
            return await fn(...args); // a throw or rejection reaches this caller, and only this caller
        } finally {
            release();
        }
    };
}
