// How cleanup is retried (its invoke config, infra/upload/cleanup.ts; local mode, local/server.ts). No SDK here.
// Lambda retries a failed attempt after one and two minutes and gives an event up once older than the maximum
// age; its record then waits in the cleanup failures queue (14 days) for an operator
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
import type { AsyncInvocationPolicy } from "../shared/asyncInvocation";

/**
 * Cleanup's invoke config. Nobody waits on a cleanup, and a removal that never lands leaves a deleted image on
 * S3 and the CDN: so Lambda's most of both, two retries and six hours in the queue (a throttled burst of
 * removals still lands).
 */
export const CLEANUP_INVOCATION: AsyncInvocationPolicy = {
    timeoutSeconds: 60,
    maximumRetryAttempts: 2,
    maximumEventAgeSeconds: 6 * 60 * 60,
};
