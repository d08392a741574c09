// The ingest failure consumer: when every attempt of ingest failed (an S3 or KMS error, sharp failing, the
// timeout) or its event waited too long, Lambda sends the invocation record to the on-failure destination, an SQS
// queue this function reads (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
// For each upload of the original S3 event (the record's requestPayload) it writes the status `failed` with why,
// unless the status is already final, and publishes the status on the upload events topic (attribute `failed`):
// the upload ends, the page and the user's backend stop waiting. The staged object is left to the lifecycle rule.
import type { S3Client } from "@aws-sdk/client-s3";
import { InvocationRecord, timedOut } from "../shared/asyncInvocation";
import { parseStagingKey, UploadKeys } from "../shared/bucketLayout";
import { createMetrics } from "../shared/pipelineMetrics";
import { createLog, LineSink, LogLevel } from "../shared/structuredLog";
import { eachRecord, S3Event } from "../shared/s3Event";
import { putStatus, readStatus } from "../shared/statusStore";
import { isFinal, statusWithoutImage } from "../shared/uploadStatus";
import { PublishUploadEvent, uploadEventOf } from "../ingest/uploadEvents";
import type { IngestFailureSettings } from "./settings";

/** The part of an SQS event (an event source mapping) the consumer reads. */
export interface SqsEvent {
    Records: { messageId: string; body: string }[];
}

/** With ReportBatchItemFailures, only the messages named here are received again; the others are deleted
 *  (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html). After the queue's
 *  maxReceiveCount a message moves to its dead-letter queue, so no message loops for ever. */
export interface SqsBatchResponse {
    batchItemFailures: { itemIdentifier: string }[];
}

export interface IngestFailureDependencies {
    s3: S3Client;
    settings: IngestFailureSettings;
    publish?: PublishUploadEvent;
    /** Where the JSON lines and metric lines go (functions/shared/structuredLog.ts); stdout when absent. */
    log?: LineSink;
    logLevel?: LogLevel;
}

/** What the status says: a code the page and the user's backend can act on, a message for the uploader (never
 *  the internal error, which goes to the log). */
export function failureOf(record: InvocationRecord): { code: string; message: string } {
    const attempts = record.requestContext.approximateInvokeCount;
    if (record.requestContext.condition === "EventAgeExceeded")
        return { code: "processing_expired", message: "The upload waited too long to be processed; upload it again" };
    if (timedOut(record))
        return {
            code: "processing_timeout",
            message: `The upload could not be processed in time (${attempts} attempts); upload it again`,
        };
    return {
        code: "processing_failed",
        message: `The upload could not be processed (${attempts} attempts); upload it again`,
    };
}

export function createIngestFailureHandler(
    deps: IngestFailureDependencies,
): (event: SqsEvent) => Promise<SqsBatchResponse> {
    const { s3, settings } = deps;
    const log = createLog("ingest-failure", { sink: deps.log, level: deps.logLevel });
    const metrics = createMetrics(settings.metricsNamespace, "ingest-failure", deps.log);

    /** Writes `failed` unless the status is final; publishes the status either way (a final status whose publish
     *  was what failed is announced now; subscribers get each event at least once). */
    async function fail(keys: UploadKeys, record: InvocationRecord, uploadedAt: string | undefined): Promise<void> {
        const existing = await readStatus(s3, settings.bucket, keys.statusKey);
        if (existing && isFinal(existing.status.status)) {
            await deps.publish?.(uploadEventOf(existing.status));
            log({ uploadId: keys.id, key: keys.finalKey, outcome: "already_final", status: existing.status.status });
            return;
        }
        const status = statusWithoutImage("failed", keys.finalKey, failureOf(record));
        // No status yet: write only if none appeared meanwhile (412 fails this message; its retry reads it).
        await putStatus(s3, settings.bucket, keys.statusKey, status, { onlyIfAbsent: existing === undefined });
        await deps.publish?.(uploadEventOf(status));
        log({
            level: "error",
            message: "upload",
            uploadId: keys.id,
            key: keys.finalKey,
            outcome: "failed",
            code: status.error!.code,
            condition: record.requestContext.condition,
            attempts: record.requestContext.approximateInvokeCount,
            error: String(record.responsePayload?.errorType ?? "").slice(0, 100),
            reason: String(record.responsePayload?.errorMessage ?? "").slice(0, 300),
            // From the upload's S3 event to this end: how long it was pending.
            ms: uploadedAt === undefined ? undefined : Math.max(0, Date.now() - Date.parse(uploadedAt)),
        });
        metrics.add("UploadsFailed", 1);
        metrics.flush({ uploadId: keys.id });
    }

    async function consume(body: string): Promise<void> {
        const record = JSON.parse(body) as InvocationRecord<S3Event>;
        if (typeof record?.requestContext?.condition !== "string")
            throw new Error("the message is not a Lambda invocation record");
        await eachRecord("ingest-failure", log, (s3Record, key) => {
            const keys = parseStagingKey(key);
            // Only the pipeline's own uploads in its own bucket (ingest took nothing else).
            if (!keys || s3Record.s3.bucket.name !== settings.bucket) return undefined;
            return { key: keys.finalKey, uploadId: keys.id, run: () => fail(keys, record, s3Record.eventTime) };
        })(record.requestPayload ?? {});
    }

    return async (event) => {
        const batchItemFailures: SqsBatchResponse["batchItemFailures"] = [];
        for (const message of event.Records ?? []) {
            try {
                await consume(message.body);
            } catch (error) {
                log({
                    level: "error",
                    message: "record failed",
                    messageId: message.messageId,
                    outcome: "retried",
                    error: String((error as Error)?.message ?? error).slice(0, 300),
                });
                batchItemFailures.push({ itemIdentifier: message.messageId });
            }
        }
        return { batchItemFailures };
    };
}
