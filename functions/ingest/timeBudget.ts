// Ingest's time budget: the eager variants are made only while the invocation has time for one more, so the
// worst case (the largest original limitInputPixels lets through, every eager size in every format, on one vCPU)
// ends within the Lambda timeout instead of timing out on every retry. What is not made is left to the first
// request, and the status's storedVariants says which were stored. Measured in bench/ingestBudgetBench.ts.

/** What ingest reads of Lambda's context object (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html). */
export interface InvocationContext {
    getRemainingTimeInMillis(): number;
}

/**
 * Kept free after the last eager variant for what ingest still does: write the ready status, publish it and delete
 * the staged object, three calls the SDK may each retry (3 attempts, with backoff).
 */
export const FINISH_RESERVE_MS = 5_000;

/** An estimate is the slowest step so far times this: a larger size or a slower format may follow. */
export const ESTIMATE_FACTOR = 2;

export interface TimeBudget {
    /** Whether work that took `slowestMs` before may run once more and still leave the reserve. */
    allowsAnother(slowestMs: number): boolean;
}

/** No context (a spec, a bench): no limit. */
export const UNLIMITED: TimeBudget = { allowsAnother: () => true };

export function timeBudget(context: InvocationContext | undefined, reserveMs = FINISH_RESERVE_MS): TimeBudget {
    if (!context) return UNLIMITED;
    return {
        allowsAnother: (slowestMs) => context.getRemainingTimeInMillis() - reserveMs >= slowestMs * ESTIMATE_FACTOR,
    };
}
