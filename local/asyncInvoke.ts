// Lambda's asynchronous invocation in local mode (and in specs): each attempt gets a context with the time left
// before the function's timeout; a failed attempt (an error, or the timeout) is retried as often as the invoke
// config says, without Lambda's minutes of waiting; after the last one the invocation record, in AWS's shape, goes
// to the on-failure destination. https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
import { randomUUID } from "crypto";
import {
    AsyncInvocationPolicy,
    attemptsOf,
    InvocationRecord,
    timeoutMessage,
} from "../functions/shared/asyncInvocation";
import type { InvocationContext } from "../functions/ingest/timeBudget";
import type { SqsBatchResponse, SqsEvent } from "../functions/ingestFailure/ingestFailure";

export interface AsyncInvokeOptions<Event> {
    policy: AsyncInvocationPolicy;
    /** Named in the record's requestContext.functionArn. */
    functionArn: string;
    handler: (event: Event, context: InvocationContext) => Promise<unknown>;
    /** The on-failure destination; a rejection here rejects the invocation. */
    onFailure: (record: InvocationRecord<Event>) => Promise<void>;
    /** Waits before each retry; none in local mode (Lambda waits one, then two minutes). */
    retryDelaysMs?: readonly number[];
}

/** An attempt that ran out of time fails as Lambda reports it (its work, which cannot be stopped, is ignored). */
async function attempt<Event>(options: AsyncInvokeOptions<Event>, event: Event): Promise<void> {
    const timeoutMs = options.policy.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
            () =>
                reject(
                    Object.assign(new Error(timeoutMessage(options.policy.timeoutSeconds)), {
                        name: "Sandbox.Timedout",
                    }),
                ),
            timeoutMs,
        );
    });
    const work = options.handler(event, { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) });
    work.catch(() => undefined); // observed: after a timeout its rejection is nobody's
    try {
        await Promise.race([work, timedOut]);
    } finally {
        clearTimeout(timer);
    }
}

/** Runs `options.handler` on each event as Lambda runs an asynchronous invocation; resolves once the event has
 *  succeeded or reached the destination. */
export function asyncInvoker<Event>(options: AsyncInvokeOptions<Event>): (event: Event) => Promise<void> {
    const attempts = attemptsOf(options.policy);
    return async (event) => {
        let lastError: unknown;
        for (let count = 1; count <= attempts; count++) {
            if (count > 1) await new Promise((resolve) => setTimeout(resolve, options.retryDelaysMs?.[count - 2] ?? 0));
            try {
                await attempt(options, event);
                return;
            } catch (error) {
                lastError = error;
            }
        }
        const { name, message } = (lastError ?? {}) as { name?: string; message?: string };
        await options.onFailure({
            version: "1.0",
            timestamp: new Date().toISOString(),
            requestContext: {
                requestId: randomUUID(),
                functionArn: options.functionArn,
                condition: "RetriesExhausted",
                approximateInvokeCount: attempts,
            },
            requestPayload: event,
            responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
            responsePayload: { errorType: name ?? "Error", errorMessage: String(message ?? lastError) },
        });
    };
}

/** An on-failure destination that is an SQS queue read by `consumer` (its event source mapping): the record is
 *  the message body. A message the consumer reports failed rejects (SQS would deliver it again). */
export function sqsDestination(
    consumer: (event: SqsEvent) => Promise<SqsBatchResponse>,
): (record: InvocationRecord) => Promise<void> {
    return async (record) => {
        const messageId = randomUUID();
        const answer = await consumer({ Records: [{ messageId, body: JSON.stringify(record) }] });
        if (answer.batchItemFailures.length > 0) throw new Error("the failure consumer could not handle the record");
    };
}
