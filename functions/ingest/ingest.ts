// The ingest function: S3 calls it for every object created under the staging prefix (incoming/). It checks
// the upload (checkUpload.ts), stores the clean original at uploads/<id>.<ext>, writes status/<id>.json, and
// deletes the staged object, so nothing reaches uploads/ (and the CDN) unchecked. A good upload's eager variants
// are stored before its status says ready, as many as its time budget allows (timeBudget.ts); every final status
// is then published as an event (uploadEvents.ts). Running it twice on one event is safe: retryPolicy.ts.
import { performance } from "perf_hooks";
import {
    DeleteObjectCommand,
    GetObjectCommand,
    GetObjectCommandOutput,
    PutObjectCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { parseStagingKey, UploadKeys, viewerVariantKeys } from "../shared/bucketLayout";
import { originalMetadata } from "../shared/imageObjectMetadata";
import { FOCUS_METADATA, FocalPoint, focusText, parseFocus } from "../shared/focalPoint";
import { createMetrics } from "../shared/pipelineMetrics";
import { createLog, LineSink, LogLevel } from "../shared/structuredLog";
import { contentTypeForExtension } from "../shared/imageTypes";
import { eachRecord, S3Event } from "../shared/s3Event";
import { isFinal, statusWithoutImage, UploadStatus } from "../shared/uploadStatus";
import { checkAndClean, checkSize, UploadRefused } from "./checkUpload";
import { makeEagerVariants } from "./eagerVariants";
import { thumbHashOf } from "./placeholder";
import { PublishUploadEvent, uploadEventOf } from "./uploadEvents";
import type { IngestSettings } from "./settings";
import { InvocationContext, TimeBudget, timeBudget } from "./timeBudget";
import { isPreconditionFailed, putStatus, readStatus } from "../shared/statusStore";

export interface IngestDependencies {
    s3: S3Client;
    settings: IngestSettings;
    /** Where the JSON lines and metric lines go (functions/shared/structuredLog.ts); stdout when absent. */
    log?: LineSink;
    logLevel?: LogLevel;
    /** Where ready/rejected events go (SNS on AWS, a local sink locally); none: not announced. */
    publish?: PublishUploadEvent;
}

/** How an upload ended, and its bytes: read from the bucket, and stored (ready only). */
interface UploadOutcome {
    outcome: "ready" | "rejected";
    bytesIn: number;
    bytesOut?: number;
}

export function createIngestHandler(
    deps: IngestDependencies,
): (event: S3Event, context?: InvocationContext) => Promise<void> {
    const { s3, settings } = deps;
    const log = createLog("ingest", { sink: deps.log, level: deps.logLevel });
    const metrics = createMetrics(settings.metricsNamespace, "ingest", deps.log);
    const writeStatus = (keys: UploadKeys, status: UploadStatus, options?: { onlyIfAbsent?: boolean }) =>
        putStatus(s3, settings.bucket, keys.statusKey, status, options);
    const deleteStaged = (keys: UploadKeys) =>
        s3.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: keys.stagingKey }));

    /** A final status is written, then announced. A publish that fails fails the invocation: Lambda retries it,
     *  and the retry (the staged object is deleted only after this) finds the final status and publishes it again,
     *  so subscribers get each event at least once. */
    const finish = async (keys: UploadKeys, status: UploadStatus) => {
        await writeStatus(keys, status);
        await deps.publish?.(uploadEventOf(status));
    };

    /**
     * Rule 1 of retryPolicy.ts: pending only where no status exists. Answers the final status when one exists
     * already (this delivery repeats a finished one), undefined when the upload is to be processed.
     */
    async function claim(keys: UploadKeys): Promise<UploadStatus | undefined> {
        try {
            await writeStatus(keys, statusWithoutImage("pending", keys.finalKey), { onlyIfAbsent: true });
            return undefined;
        } catch (error) {
            if (!isPreconditionFailed(error)) throw error;
        }
        const existing = await readStatus(s3, settings.bucket, keys.statusKey);
        return existing && isFinal(existing.status.status) ? existing.status : undefined;
    }

    /** Rule 2: the original only if it is not there yet. Answers false when an earlier attempt stored it. */
    async function storeOriginal(
        keys: UploadKeys,
        bytes: Buffer,
        contentType: string,
        focus: FocalPoint | undefined,
    ): Promise<boolean> {
        try {
            await s3.send(
                new PutObjectCommand({
                    Bucket: settings.bucket,
                    Key: keys.finalKey,
                    Body: bytes,
                    ContentType: contentType,
                    // Its cache tag and digest, and the focal point the upload was signed with.
                    Metadata: {
                        ...originalMetadata(keys.finalKey, bytes),
                        ...(focus ? { [FOCUS_METADATA]: focusText(focus) } : {}),
                    },
                    IfNoneMatch: "*",
                }),
            );
            return true;
        } catch (error) {
            // Only ingest writes originals, each id once: what is there is this upload's, from an earlier attempt.
            if (isPreconditionFailed(error)) return false;
            throw error;
        }
    }

    /** The upload's one line and its metrics, once its status is final. */
    function finished(keys: UploadKeys, started: number, fields: UploadOutcome & Record<string, unknown>) {
        const ms = Math.round(performance.now() - started);
        log({ message: "upload", uploadId: keys.id, key: keys.finalKey, ...fields, ms });
        metrics.add(fields.outcome === "ready" ? "UploadsReady" : "UploadsRejected", 1);
        metrics.add("IngestMs", ms);
        metrics.add("IngestBytesIn", fields.bytesIn);
        if (fields.bytesOut !== undefined) metrics.add("IngestBytesOut", fields.bytesOut);
        metrics.flush({ uploadId: keys.id });
    }

    async function ingest(keys: UploadKeys, budget: TimeBudget): Promise<void> {
        const started = performance.now();
        let object: GetObjectCommandOutput;
        try {
            object = await s3.send(new GetObjectCommand({ Bucket: settings.bucket, Key: keys.stagingKey }));
        } catch (error) {
            // S3 delivers an event at least once: a second delivery finds the staged object gone, its status final.
            if ((error as { name?: string }).name === "NoSuchKey") {
                log({
                    uploadId: keys.id,
                    key: keys.stagingKey,
                    outcome: "already_ingested",
                    ms: Math.round(performance.now() - started),
                });
                return;
            }
            throw error;
        }
        // A body never read must be released, or its connection stays taken.
        const release = () => (object.Body as { destroy?: () => void } | undefined)?.destroy?.();
        const final = await claim(keys).catch((error: unknown) => {
            release();
            throw error;
        });
        if (final) {
            release();
            await deps.publish?.(uploadEventOf(final));
            await deleteStaged(keys);
            log({
                uploadId: keys.id,
                key: keys.stagingKey,
                outcome: "already_final",
                status: final.status,
                ms: Math.round(performance.now() - started),
            });
            return;
        }
        const bytesIn = object.ContentLength ?? 0;
        try {
            try {
                checkSize(bytesIn, settings.maxUploadBytes);
            } catch (refusal) {
                release();
                throw refusal;
            }
            const array = await object.Body!.transformToByteArray();
            const checkStarted = performance.now();
            const original = await checkAndClean(
                Buffer.from(array.buffer, array.byteOffset, array.byteLength),
                { contentType: object.ContentType, keyType: contentTypeForExtension(keys.extension) },
                settings,
            );
            const checkMs = performance.now() - checkStarted;
            const focus = parseFocus(object.Metadata?.[FOCUS_METADATA]);
            const written = await storeOriginal(keys, original.bytes, original.contentType, focus);
            const placeholder = await thumbHashOf(original.bytes);
            // Before the status says ready, so a page that waits for ready finds them stored. A size that fails or
            // finds no time left is left to the Resizer (made on its first request): the upload itself is good.
            const eager = await makeEagerVariants(
                s3,
                original.bytes,
                keys.finalKey,
                settings,
                {
                    budget,
                    firstEstimateMs: checkMs,
                },
                focus,
            );
            for (const failure of eager.failed)
                log({ level: "warn", key: failure.key, outcome: "eager_variant_failed", message: failure.error });
            if (eager.deferred.length > 0)
                log({
                    level: "warn",
                    key: keys.finalKey,
                    outcome: "eager_variants_deferred",
                    count: eager.deferred.length,
                });
            await finish(keys, {
                status: "ready",
                key: keys.finalKey,
                width: original.width,
                height: original.height,
                format: original.format,
                bytes: original.bytes.length,
                placeholder,
                variants: viewerVariantKeys(keys.finalKey, settings.allowedResolutions),
                storedVariants: eager.stored,
            });
            finished(keys, started, {
                outcome: "ready",
                bytesIn,
                bytesOut: original.bytes.length,
                reencoded: original.reencoded,
                ...(written ? {} : { original: "already_stored" }),
            });
        } catch (error) {
            if (!(error instanceof UploadRefused)) throw error;
            // The status first: if the delete then fails, the retry finds it final and deletes.
            await finish(
                keys,
                statusWithoutImage("rejected", keys.finalKey, { code: error.code, message: error.message }),
            );
            finished(keys, started, { outcome: "rejected", code: error.code, bytesIn });
        }
        await deleteStaged(keys);
    }

    return (event, context) => {
        // One budget for the invocation: its records share the timeout.
        const budget = timeBudget(context);
        return eachRecord("ingest", log, (record, key) => {
            const keys = record.eventName.startsWith("ObjectCreated:") ? parseStagingKey(key) : undefined;
            // Only the pipeline's own staging keys (the lifecycle rule empties anything else under incoming/).
            if (!keys || record.s3.bucket.name !== settings.bucket) return undefined;
            return { key: keys.stagingKey, uploadId: keys.id, run: () => ingest(keys, budget) };
        })(event);
    };
}
