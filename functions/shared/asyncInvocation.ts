// Lambda's asynchronous invocation, the way S3 notifications run ingest and cleanup: the limits each function's
// invoke config sets (infra: aws.lambda.FunctionEventInvokeConfig; local mode: local/asyncInvoke.ts), how long
// they let one event take, and the record Lambda sends to the on-failure destination once they are spent.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html

export interface AsyncInvocationPolicy {
    /** The function's timeout: an attempt still running then has failed. */
    timeoutSeconds: number;
    /** Retries after a failed attempt: 0–2 (Lambda's limits). */
    maximumRetryAttempts: number;
    /** How long an event may wait in Lambda's queue (throttled, or between retries) before it is given up:
     *  60–21,600 s (Lambda's limits). */
    maximumEventAgeSeconds: number;
}

/** "…with a one-minute wait between the first two attempts, and two minutes between the second and third"
 *  (invocation-async-error-handling, above). */
export const LAMBDA_RETRY_DELAYS_SECONDS = [60, 120] as const;

export function attemptsOf(policy: AsyncInvocationPolicy): number {
    return policy.maximumRetryAttempts + 1;
}

/**
 * The longest one event can take before it has either succeeded or reached the on-failure destination: every
 * attempt running to its timeout, Lambda's waits between them, and the longest it may wait in the queue. An upper
 * bound (the event age already counts the waits): whatever is still pending after it will never finish.
 */
export function retryWindowSeconds(policy: AsyncInvocationPolicy): number {
    const delays = LAMBDA_RETRY_DELAYS_SECONDS.slice(0, policy.maximumRetryAttempts).reduce((a, b) => a + b, 0);
    return policy.timeoutSeconds * attemptsOf(policy) + delays + policy.maximumEventAgeSeconds;
}

/** Why an event reached the on-failure destination. */
export type FailureCondition = "RetriesExhausted" | "EventAgeExceeded";

/**
 * The invocation record an on-failure destination receives (an SQS destination: as the message body), in AWS's
 * shape: the original event in `requestPayload`, the last attempt's error in `responsePayload`.
 */
export interface InvocationRecord<Event = unknown> {
    version: "1.0";
    timestamp: string;
    requestContext: {
        requestId: string;
        functionArn: string;
        condition: FailureCondition;
        approximateInvokeCount: number;
    };
    requestPayload: Event;
    responseContext?: { statusCode: number; executedVersion: string; functionError?: "Handled" | "Unhandled" };
    /** The error of the last attempt (none when the event expired before an attempt ran). */
    responsePayload?: { errorType?: string; errorMessage?: string; trace?: string[] } | null;
}

/** The error message Lambda reports for an attempt that ran out of time (a runtime error, functionError
 *  "Unhandled"): "Task timed out after 60.00 seconds". */
export function timeoutMessage(timeoutSeconds: number): string {
    return `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`;
}

/** Whether the last attempt ran out of time, as its record tells. */
export function timedOut(record: InvocationRecord): boolean {
    const { errorType = "", errorMessage = "" } = record.responsePayload ?? {};
    return /timed ?out/i.test(`${errorType} ${errorMessage}`);
}
