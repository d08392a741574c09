// How ingest is retried, and why running it again is safe. No sharp and no SDK here: the stack (invoke config),
// the status route (functions/presign/, a serialized closure) and local mode read these numbers.
//
// Lambda runs an S3 notification asynchronously: a failed attempt (an error, or the timeout) is retried after one
// minute and again after two, and an event is given up once older than the maximum age; then the record goes to
// the on-failure destination, whose consumer (functions/ingestFailure/) writes the status `failed`
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html). S3 also delivers an event
// more than once now and then. So ingest is idempotent, by these rules (functions/ingest/ingest.ts):
//   1. pending is written only where no status exists (If-None-Match: *); a final status is never turned back
//      into pending: a delivery that finds one publishes it again (events are at least once) and deletes the
//      staged object, nothing more;
//   2. the original is written only if it is not there yet (If-None-Match: *, S3's conditional write:
//      https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html), so a retry after a partial
//      success writes no second original, and cleanup, which S3 runs for each original written, finds nothing
//      stale to delete or invalidate;
//   3. eager variants are written again (same key, same rendering): each stored variant stays in place;
//   4. the staged object is deleted last, so until the status is final and published, a retry has its input.
import { AsyncInvocationPolicy, retryWindowSeconds } from "../shared/asyncInvocation";
import type { StoredStatus } from "../shared/statusStore";
import { statusWithoutImage, UploadStatus } from "../shared/uploadStatus";

/**
 * Ingest's invoke config. 60 s: the eager variants are made within it (functions/ingest/timeBudget.ts; the
 * worst case, a 50 MP original, is measured by bench/ingestBudgetBench.ts). Two retries, Lambda's most. 15 min
 * of queueing at most: an uploader waits on the status, and whoever still waits after that wants an answer
 * (`failed`) more than a late success.
 */
export const INGEST_INVOCATION: AsyncInvocationPolicy = {
    timeoutSeconds: 60,
    maximumRetryAttempts: 2,
    maximumEventAgeSeconds: 15 * 60,
};

/** After this long a status still pending will never change: the status route answers it as failed
 *  (processing_timeout). 60 × 3 + 60 + 120 + 900 = 1,260 s, 21 minutes. */
export const INGEST_RETRY_WINDOW_SECONDS = retryWindowSeconds(INGEST_INVOCATION);

/**
 * A status as the status route answers it at `now`: as stored, except a pending one written longer ago than the
 * retry window, which will never change (its failure consumer did not run either): failed, processing_timeout.
 */
export function statusAsOf(stored: StoredStatus, now: number): UploadStatus {
    const pendingMs = now - (stored.lastModified?.getTime() ?? now);
    if (stored.status.status !== "pending" || pendingMs <= INGEST_RETRY_WINDOW_SECONDS * 1000) return stored.status;
    return statusWithoutImage("failed", stored.status.key, {
        code: "processing_timeout",
        message: `The upload was not processed within ${INGEST_RETRY_WINDOW_SECONDS / 60} minutes; upload it again`,
    });
}
