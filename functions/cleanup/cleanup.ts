// The cleanup function: S3 calls it for every object removed or created under uploads/. When an original goes
// (ObjectRemoved:*), its variants and its status object go with it; when an original is overwritten
// (ObjectCreated:*), the variants made from another version of it go. The objects are deleted first, then ONE
// CloudFront invalidation names the image's cache tag, `#<tag>`: one item (billed as one path) reaches every cached
// copy of the image, original and variants, whatever their paths
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-by-tags.html). Deleting first
// means a full invalidation queue (TooManyInvalidationsInProgress) never keeps a removed image in S3: the
// invalidation is retried (./invalidate.ts), and an event that still fails goes, objects already gone, to Lambda's
// retries and then the function's on-failure destination. Every attempt names the same item under the same
// CallerReference, whatever it finds left, so a retry still invalidates and CloudFront makes it once.
//
// Overwrite rule: a variant is stale when the original version it records (MADE_FROM_METADATA, written by the
// Resizer and by ingest's eager variants) is not the current original's (functions/shared/originalVersion.ts). An
// ingest that stores the same bytes again (a redelivered or retried event) keeps its version, so its variants stay,
// whenever they were made; a variant made from an older version goes, even if it was written after the overwrite.
//
// Where a tag cannot reach: objects stored before tags existed carry none, and neither do their cached copies. A
// variant found without the tag is invalidated by its paths (and its plain viewer URI), with the original's path.
import { S3Client } from "@aws-sdk/client-s3";
import { parseOriginalKey, UploadKeys, viewerKeyOf } from "../shared/bucketLayout";
import { cacheTagOf, tagInvalidationItem } from "../shared/cacheTag";
import { cdnPathOf } from "../shared/objectKey";
import { createMetrics } from "../shared/pipelineMetrics";
import { createLog, LineSink, Log, LogLevel } from "../shared/structuredLog";
import { ORIGINAL_DIGEST_METADATA, originalVersionOf } from "../shared/originalVersion";
import { eachRecord, S3Event, S3EventRecord } from "../shared/s3Event";
import { DescribedVariant, imageObjects } from "./imageObjects";
import { InvalidationClient, invalidateForRecord, REAL_CLOCK, RetryClock } from "./invalidate";
import type { CleanupSettings } from "./settings";

export type { InvalidationClient } from "./invalidate";

export interface CleanupDependencies {
    s3: S3Client;
    cloudfront: InvalidationClient;
    settings: CleanupSettings;
    /** Where the JSON lines and metric lines go (functions/shared/structuredLog.ts); stdout when absent. */
    log?: LineSink;
    logLevel?: LogLevel;
    /** The invalidation retries' time (tests pass one that does not wait). */
    clock?: RetryClock;
}

/** What one image's cleanup did: objects deleted, items invalidated (paths and tags), invalidations created. */
interface CleanupOutcome {
    outcome: "overwritten" | "removed";
    deleted: number;
    invalidated: number;
    invalidations: number;
}

export function createCleanupHandler(deps: CleanupDependencies): (event: S3Event) => Promise<void> {
    const { settings } = deps;
    const log = createLog("cleanup", { sink: deps.log, level: deps.logLevel });
    const metrics = createMetrics(settings.metricsNamespace, "cleanup", deps.log);

    /** The image's one line and its metrics: what went, and the invalidations made. */
    function cleaned(upload: UploadKeys, started: number, fields: CleanupOutcome) {
        log({ message: "cleanup", uploadId: upload.id, key: upload.finalKey, ...fields, ms: Date.now() - started });
        metrics.add("ObjectsDeleted", fields.deleted);
        metrics.add("InvalidationsMade", fields.invalidations);
        metrics.flush({ uploadId: upload.id });
    }
    const objects = imageObjects(deps.s3, settings.bucket, settings.allowedResolutions);

    /**
     * The image's one invalidation: `#<tag>`, plus the paths of what carries no tag (see the file's comment). A
     * format variant is cached under its rewritten URI and reached through the plain one: AWS advises invalidating
     * both when a viewer-request function changes the URI
     * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html).
     */
    async function invalidate(record: S3EventRecord, upload: UploadKeys, untagged: DescribedVariant[]) {
        const tag = cacheTagOf(upload.finalKey);
        if (tag === undefined) throw new Error("an original's key that is no cache tag"); // never: see cacheTagOf
        const legacyKeys = untagged.length === 0 ? [] : [upload.finalKey, ...untagged.map((variant) => variant.key)];
        const paths = new Set(legacyKeys.flatMap((key) => [key, viewerKeyOf(key)]).map(cdnPathOf));
        const items = [tagInvalidationItem(tag), ...paths];
        const itemLog: Log = (fields) => log({ key: upload.finalKey, ...fields });
        const created = await invalidateForRecord(
            {
                cloudfront: deps.cloudfront,
                distributionId: settings.distributionId,
                clock: deps.clock ?? REAL_CLOCK,
                log: itemLog,
            },
            record,
            items,
        );
        return { items: items.length, created };
    }

    /** An original written: the variants made from another version of it go. */
    async function cleanUpOverwrite(record: S3EventRecord, upload: UploadKeys, started: number): Promise<void> {
        if (!(await objects.exists(upload.finalKey))) {
            log({
                uploadId: upload.id,
                key: upload.finalKey,
                outcome: "gone",
                reason: "removed since; its removal event cleans up",
                ms: Date.now() - started,
            });
            return;
        }
        const original = await objects.head(upload.finalKey);
        const current = originalVersionOf(original);
        const stale = (await objects.variantsOf(upload.finalKey)).filter((variant) => variant.madeFrom !== current);
        // Ingest records its digest: its first write finds no variant of another version (nothing cached to
        // invalidate), and the same bytes written again are the same version. An original written by anyone else
        // may have replaced cached bytes: it is always invalidated, so a retry after the deletes still is. (Ingest
        // writing other bytes over an existing original, which a conditional write rules out, would be invalidated
        // only while its stale variants are left: a retry after their deletion finds none.)
        const writtenByIngest = original.Metadata?.[ORIGINAL_DIGEST_METADATA] !== undefined;
        if (stale.length === 0 && writtenByIngest) {
            log({ uploadId: upload.id, key: upload.finalKey, outcome: "nothing_stale", ms: Date.now() - started });
            return;
        }
        await objects.deleteKeys(stale.map((variant) => variant.key));
        const invalidated = await invalidate(
            record,
            upload,
            stale.filter((variant) => !variant.tagged),
        );
        cleaned(upload, started, {
            outcome: "overwritten",
            deleted: stale.length,
            invalidated: invalidated.items,
            invalidations: invalidated.created,
        });
    }

    /** An original removed: every variant and the status go, then the image's invalidation (always: a retry after
     *  the deletes finds nothing left, yet its cached copies may still be there). */
    async function cleanUpRemoval(record: S3EventRecord, upload: UploadKeys, started: number): Promise<void> {
        // Events may arrive out of order: an original written again since is an overwrite, its status current.
        if (await objects.exists(upload.finalKey)) return cleanUpOverwrite(record, upload, started);
        const variants = await objects.variantsOf(upload.finalKey);
        // Deleting a key that is not there succeeds (DeleteObjects reports it deleted), so the status is named
        // whether or not it exists.
        await objects.deleteKeys([...variants.map((variant) => variant.key), upload.statusKey]);
        const invalidated = await invalidate(
            record,
            upload,
            variants.filter((variant) => !variant.tagged),
        );
        cleaned(upload, started, {
            outcome: "removed",
            deleted: variants.length,
            invalidated: invalidated.items,
            invalidations: invalidated.created,
        });
    }

    return eachRecord("cleanup", log, (record, key) => {
        const removed = record.eventName.startsWith("ObjectRemoved:");
        const created = record.eventName.startsWith("ObjectCreated:");
        const upload = parseOriginalKey(key);
        // Only the pipeline's own originals, uploads/<id>.<ext>, in its own bucket.
        if (!upload || !(removed || created) || record.s3.bucket.name !== settings.bucket) return undefined;
        return {
            key: upload.finalKey,
            uploadId: upload.id,
            run: () =>
                removed ? cleanUpRemoval(record, upload, Date.now()) : cleanUpOverwrite(record, upload, Date.now()),
        };
    });
}
