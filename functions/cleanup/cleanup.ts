// The cleanup function: S3 calls it for every object removed or created under uploads/. When an original goes
// (ObjectRemoved:*), its variants and its status object go with it; when an original is overwritten
// (ObjectCreated:*), the variants made from the old image go. Either way ONE CloudFront invalidation names exactly
// the paths that existed: the original's own path and each removed variant's (the allowlist makes them
// enumerable; CloudFront allows no leading wildcard, so "*/uploads/<id>.jpg" could not be invalidated at once).
//
// Overwrite rule: a variant is stale when S3 last modified it strictly before the original's current version.
// Ingest's own first write of uploads/<id> finds no variant (or only the eager ones it wrote after the
// original): no deletion, no invalidation. S3's LastModified counts whole seconds, so a variant made from the old
// image within the same second as the overwrite is kept (originals are written once; only an outside writer or a
// second upload through a still-valid presigned URL overwrites one).
import { createHash } from "crypto";
import { DeleteObjectCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import {
    parseOriginalKey,
    UploadKeys,
    VARIANT_PREFIX_PATTERN,
    variantKeysOf,
    viewerKeyOf,
} from "../shared/bucketLayout";
import { logRequest } from "../shared/http";
import { eachRecord, S3Event, S3EventRecord } from "../shared/s3Event";
import type { CleanupSettings } from "./settings";

/** What the handler needs of a CloudFront client (tests and local mode pass their own). */
export interface InvalidationClient {
    send(command: CreateInvalidationCommand): Promise<unknown>;
}

export interface CleanupDependencies {
    s3: S3Client;
    cloudfront: InvalidationClient;
    settings: CleanupSettings;
    log?: (line: string) => void;
}

/** Paths one invalidation may name: CloudFront allows 3,000 file paths in progress per distribution
 *  (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-invalidations). */
export const MAX_PATHS_PER_INVALIDATION = 3000;
/** DeleteObjects takes at most 1,000 keys (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html). */
const MAX_KEYS_PER_DELETE = 1000;

/** The CDN path of a key: "/" + the key, each segment URL-encoded
 *  (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html). */
export function cdnPathOf(key: string): string {
    return `/${key.split("/").map(encodeURIComponent).join("/")}`;
}

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

interface ListedKey {
    key: string;
    lastModified: Date;
}

export function createCleanupHandler(deps: CleanupDependencies): (event: S3Event) => Promise<void> {
    const { s3, cloudfront, settings } = deps;
    const log = (fields: Record<string, unknown>) => logRequest({ function: "cleanup", ...fields }, deps.log);

    /** One key as listed (it sorts first among the keys it prefixes, so it is on the first page), or undefined
     *  when absent. A listing, not a HEAD: the role needs no read of any object, and a missing key is no 403. */
    async function listed(key: string): Promise<ListedKey | undefined> {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: key }));
        const found = page.Contents?.find((entry) => entry.Key === key);
        return found?.LastModified ? { key, lastModified: found.LastModified } : undefined;
    }

    /** The allowlist; with any size allowed, the "<W>x<H>/" prefixes the bucket has (listed with Delimiter "/"). */
    async function variantSizes(): Promise<string[]> {
        if (settings.allowedResolutions.length > 0) return settings.allowedResolutions;
        const sizes: string[] = [];
        let token: string | undefined;
        do {
            const page = await s3.send(
                new ListObjectsV2Command({
                    Bucket: settings.bucket,
                    Prefix: "",
                    Delimiter: "/",
                    ContinuationToken: token,
                }),
            );
            for (const { Prefix } of page.CommonPrefixes ?? [])
                if (Prefix && VARIANT_PREFIX_PATTERN.test(Prefix)) sizes.push(Prefix.slice(0, -1));
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return sizes;
    }

    async function existingVariants(originalKey: string): Promise<ListedKey[]> {
        const found = await Promise.all(variantKeysOf(originalKey, await variantSizes()).map(listed));
        return found.filter((entry): entry is ListedKey => entry !== undefined);
    }

    /** Invalidation first, deletion after: a retry after a failed deletion finds the same keys (the same batch,
     *  which CloudFront answers with the invalidation it made) or fewer (a batch whose reference was used: done).
     *  Deleting first would lose the paths if the invalidation then failed. */
    async function invalidate(record: S3EventRecord, keys: string[]): Promise<number> {
        // A format variant is cached under its rewritten URI and reached through the plain one: AWS advises
        // invalidating both when a viewer-request function changes the URI
        // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html).
        const paths = [...new Set(keys.flatMap((key) => [key, viewerKeyOf(key)]))].map(cdnPathOf);
        const reference = callerReferenceOf(record);
        for (let at = 0; at < paths.length; at += MAX_PATHS_PER_INVALIDATION) {
            const items = paths.slice(at, at + MAX_PATHS_PER_INVALIDATION);
            try {
                await cloudfront.send(
                    new CreateInvalidationCommand({
                        DistributionId: settings.distributionId,
                        InvalidationBatch: {
                            CallerReference: at === 0 ? reference : `${reference}-${at / MAX_PATHS_PER_INVALIDATION}`,
                            Paths: { Quantity: items.length, Items: items },
                        },
                    }),
                );
            } catch (error) {
                if (!isReferenceAlreadyUsed(error)) throw error;
                log({ key: keys[0], outcome: "already_invalidated" });
            }
        }
        return paths.length;
    }

    async function deleteKeys(keys: string[]): Promise<void> {
        for (let at = 0; at < keys.length; at += MAX_KEYS_PER_DELETE) {
            const answer = await s3.send(
                new DeleteObjectsCommand({
                    Bucket: settings.bucket,
                    Delete: { Objects: keys.slice(at, at + MAX_KEYS_PER_DELETE).map((Key) => ({ Key })), Quiet: true },
                }),
            );
            // DeleteObjects answers 200 and lists each key it could not delete.
            const failed = answer.Errors ?? [];
            if (failed.length > 0)
                throw new Error(`could not delete ${failed.length} variants (${failed[0].Code ?? "unknown error"})`);
        }
    }

    /** An overwritten original: only the variants made from its old version go. */
    async function cleanUpOverwrite(record: S3EventRecord, upload: UploadKeys): Promise<void> {
        const original = await listed(upload.finalKey);
        if (!original) {
            log({ key: upload.finalKey, outcome: "gone", reason: "removed since; its removal event cleans up" });
            return;
        }
        const stale = (await existingVariants(upload.finalKey))
            .filter((variant) => variant.lastModified < original.lastModified)
            .map((variant) => variant.key);
        if (stale.length === 0) {
            log({ key: upload.finalKey, outcome: "nothing_stale" }); // a first write: nothing to invalidate
            return;
        }
        const invalidated = await invalidate(record, [upload.finalKey, ...stale]);
        await deleteKeys(stale);
        log({ key: upload.finalKey, outcome: "overwritten", deleted: stale.length, invalidated });
    }

    /** A removed original: every variant and the status go. */
    async function cleanUpRemoval(record: S3EventRecord, upload: UploadKeys): Promise<void> {
        // Events may arrive out of order: an original written again since is an overwrite, its status current.
        if (await listed(upload.finalKey)) return cleanUpOverwrite(record, upload);
        const [variants, status] = await Promise.all([existingVariants(upload.finalKey), listed(upload.statusKey)]);
        if (variants.length === 0 && !status) {
            // Nothing of this image is left (or ever was): nothing to invalidate, so nothing billed.
            log({ key: upload.finalKey, outcome: "nothing_left" });
            return;
        }
        const keys = variants.map((variant) => variant.key);
        const invalidated = await invalidate(record, [upload.finalKey, ...keys]);
        await deleteKeys(keys);
        // The status last: while it exists, a retry still knows the original's path was served.
        await s3.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: upload.statusKey }));
        log({ key: upload.finalKey, outcome: "removed", deleted: keys.length, invalidated });
    }

    return eachRecord("cleanup", log, (record, key) => {
        const removed = record.eventName.startsWith("ObjectRemoved:");
        const created = record.eventName.startsWith("ObjectCreated:");
        const upload = parseOriginalKey(key);
        // Only the pipeline's own originals, uploads/<id>.<ext>, in its own bucket.
        if (!upload || !(removed || created) || record.s3.bucket.name !== settings.bucket) return undefined;
        return {
            key: upload.finalKey,
            run: () => (removed ? cleanUpRemoval(record, upload) : cleanUpOverwrite(record, upload)),
        };
    });
}
