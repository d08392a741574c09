// One CloudFront invalidation for one S3 event, made to land: the same CallerReference for every delivery and retry
// of the event (so CloudFront makes it once), and throttling or a full in-progress queue retried with backoff
// within the invocation, bounded so that it ends well inside the function's timeout. What still fails fails the
// invocation: Lambda retries it, then hands the event to its on-failure destination.
import { createHash } from "crypto";
import { CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import type { S3EventRecord } from "../shared/s3Event";
import type { Log } from "../shared/structuredLog";
import { CLEANUP_INVOCATION } from "./retryPolicy";

/** What the handler needs of a CloudFront client (tests and local mode pass their own). */
export interface InvalidationClient {
    send(command: CreateInvalidationCommand): Promise<unknown>;
}

/** Time, as the retries see it (tests pass a clock whose sleep only moves it on). */
export interface RetryClock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

export const REAL_CLOCK: RetryClock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** How long one invocation keeps retrying an invalidation: half the cleanup Lambda's timeout (its invoke config),
 *  the rest is for listing, deleting and the last attempt itself. */
export const INVALIDATION_RETRY_BUDGET_MS = (CLEANUP_INVOCATION.timeoutSeconds * 1000) / 2;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 8000;

/**
 * Answers worth waiting for: the request rate (Throttling) and the in-progress limit of 3,000 paths per distribution
 * (TooManyInvalidationsInProgress), both of which clear as CloudFront works through its queue
 * (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateInvalidation.html, Errors;
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-invalidations).
 */
const RETRIED_ERRORS = new Set(["Throttling", "TooManyInvalidationsInProgress"]);

/** Items one invalidation may name: the 3,000 paths CloudFront allows in progress per distribution (a tag item
 *  counts as one path). */
export const MAX_ITEMS_PER_INVALIDATION = 3000;

/**
 * The CallerReference of a record's invalidation: the same for every delivery of one event (S3 delivers at least
 * once; Lambda retries a failed invocation), so CloudFront makes no second invalidation. The sequencer orders the
 * events of one key (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
 */
export function callerReferenceOf(record: S3EventRecord): string {
    const { bucket, object } = record.s3;
    const what = [bucket.name, object.key, record.eventName, object.sequencer ?? record.eventTime ?? ""].join("\n");
    return `s3-event-${createHash("sha256").update(what).digest("hex")}`;
}

/** CloudFront's answer to a CallerReference already used with other paths
 *  (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_InvalidationBatch.html: InvalidationBatchAlreadyExists;
 *  the service has been seen to answer it as InvalidArgument "... caller reference that was used for a previous
 *  invalidation batch ..."). */
function isReferenceAlreadyUsed(error: unknown): boolean {
    const { name, message } = error as { name?: string; message?: string };
    return (
        name === "InvalidationBatchAlreadyExists" ||
        (name === "InvalidArgument" && /caller reference/i.test(String(message)))
    );
}

/** Exponential backoff with equal jitter (half fixed, half random), so throttled cleanups do not retry in step. */
function backoffMs(attempt: number): number {
    const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
}

export interface InvalidationOptions {
    cloudfront: InvalidationClient;
    distributionId: string;
    clock: RetryClock;
    log: Log;
}

/**
 * Sends the record's invalidation of `items` (paths "/..." and tag items "#..."), in batches of at most
 * MAX_ITEMS_PER_INVALIDATION. A batch whose reference was used already counts as done: it is this event's, made
 * by an earlier delivery or attempt (a retry may name fewer items than the attempt that made it). Answers how many
 * invalidations this call created.
 */
export async function invalidateForRecord(
    options: InvalidationOptions,
    record: S3EventRecord,
    items: string[],
): Promise<number> {
    const reference = callerReferenceOf(record);
    let created = 0;
    const deadline = options.clock.now() + INVALIDATION_RETRY_BUDGET_MS;
    for (let at = 0; at < items.length; at += MAX_ITEMS_PER_INVALIDATION) {
        const batch = items.slice(at, at + MAX_ITEMS_PER_INVALIDATION);
        const command = new CreateInvalidationCommand({
            DistributionId: options.distributionId,
            InvalidationBatch: {
                CallerReference: at === 0 ? reference : `${reference}-${at / MAX_ITEMS_PER_INVALIDATION}`,
                Paths: { Quantity: batch.length, Items: batch },
            },
        });
        for (let attempt = 0; ; attempt++) {
            try {
                await options.cloudfront.send(command);
                created++;
                break;
            } catch (error) {
                if (isReferenceAlreadyUsed(error)) {
                    options.log({ outcome: "already_invalidated" });
                    break;
                }
                const name = (error as { name?: string }).name ?? "";
                const delay = backoffMs(attempt);
                if (!RETRIED_ERRORS.has(name) || options.clock.now() + delay > deadline) throw error;
                options.log({ level: "warn", outcome: "invalidation_retry", error: name, attempt: attempt + 1, delay });
                await options.clock.sleep(delay);
            }
        }
    }
    return created;
}
