// The ingest function: S3 calls it for every object created under the staging prefix (incoming/). It checks
// the upload (checkUpload.ts), stores the clean original at uploads/<id>.<ext>, writes status/<id>.json, and
// deletes the staged object, so nothing reaches uploads/ (and the CDN) unchecked. A good upload's eager variants
// are stored before its status says ready; every final status is then published as an event (uploadEvents.ts).
import {
    DeleteObjectCommand,
    GetObjectCommand,
    GetObjectCommandOutput,
    PutObjectCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { parseStagingKey, UploadKeys } from "../shared/bucketLayout";
import { originalMetadata } from "../shared/imageObjectMetadata";
import { logRequest } from "../shared/http";
import { contentTypeForExtension } from "../shared/imageTypes";
import { decodeEventKey, eachRecord, S3Event, S3EventRecord } from "../shared/s3Event";
import { UploadStatus } from "../shared/uploadStatus";
import { checkAndClean, checkSize, UploadRefused } from "./checkUpload";
import { makeEagerVariants } from "./eagerVariants";
import { thumbHashOf } from "./placeholder";
import { PublishUploadEvent, uploadEventOf } from "./uploadEvents";
import type { IngestSettings } from "./settings";

export interface IngestDependencies {
    s3: S3Client;
    settings: IngestSettings;
    log?: (line: string) => void;
    /** Where ready/rejected events go (SNS on AWS, a local sink locally); none: not announced. */
    publish?: PublishUploadEvent;
}

/** An event's object key as stored (events carry it URL-encoded, a space as "+"). */
export function keyOfRecord(record: S3EventRecord): string {
    return decodeEventKey(record.s3.object.key);
}

export function createIngestHandler(deps: IngestDependencies): (event: S3Event) => Promise<void> {
    const { s3, settings } = deps;
    const log = (fields: Record<string, unknown>) => logRequest({ function: "ingest", ...fields }, deps.log);

    const putStatus = (keys: UploadKeys, status: UploadStatus) =>
        s3.send(
            new PutObjectCommand({
                Bucket: settings.bucket,
                Key: keys.statusKey,
                Body: JSON.stringify(status),
                ContentType: "application/json",
                CacheControl: "no-store", // it changes from pending to ready or rejected
            }),
        );
    const emptyStatus = (keys: UploadKeys) => ({
        key: keys.finalKey,
        width: null,
        height: null,
        format: null,
        bytes: null,
        variants: [],
    });
    /** A final status is written, then announced. A publish that fails fails the invocation: Lambda retries it,
     *  and the retry (the staged object is deleted only after this) writes the same status and publishes again,
     *  so subscribers get each event at least once. */
    const finish = async (keys: UploadKeys, status: UploadStatus) => {
        await putStatus(keys, status);
        await deps.publish?.(uploadEventOf(status));
    };

    async function ingest(keys: UploadKeys): Promise<void> {
        let object: GetObjectCommandOutput;
        try {
            object = await s3.send(new GetObjectCommand({ Bucket: settings.bucket, Key: keys.stagingKey }));
        } catch (error) {
            // S3 delivers an event at least once: a second delivery finds the staged object gone, its status final.
            if ((error as { name?: string }).name === "NoSuchKey") {
                log({ key: keys.stagingKey, outcome: "already_ingested" });
                return;
            }
            throw error;
        }
        // A body never read must be released, or its connection stays taken.
        const release = () => (object.Body as { destroy?: () => void } | undefined)?.destroy?.();
        await putStatus(keys, { status: "pending", ...emptyStatus(keys) }).catch((error: unknown) => {
            release();
            throw error;
        });
        try {
            try {
                checkSize(object.ContentLength ?? 0, settings.maxUploadBytes);
            } catch (refusal) {
                release();
                throw refusal;
            }
            const array = await object.Body!.transformToByteArray();
            const original = await checkAndClean(
                Buffer.from(array.buffer, array.byteOffset, array.byteLength),
                { contentType: object.ContentType, keyType: contentTypeForExtension(keys.extension) },
                settings,
            );
            await s3.send(
                new PutObjectCommand({
                    Bucket: settings.bucket,
                    Key: keys.finalKey,
                    Body: original.bytes,
                    ContentType: original.contentType,
                    Metadata: originalMetadata(keys.finalKey, original.bytes), // its cache tag and digest
                }),
            );
            // Before the status says ready, so a page that waits for ready finds them stored. A size that fails is
            // left to the Resizer (made on its first request): the upload itself is good.
            const eager = await makeEagerVariants(s3, original.bytes, keys.finalKey, settings);
            for (const failure of eager.failed)
                log({ level: "warn", key: failure.key, outcome: "eager_variant_failed", message: failure.error });
            await finish(keys, {
                status: "ready",
                key: keys.finalKey,
                width: original.width,
                height: original.height,
                format: original.format,
                bytes: original.bytes.length,
                placeholder: await thumbHashOf(original.bytes),
                variants: settings.allowedResolutions.map((size) => `${size}/${keys.finalKey}`),
                storedVariants: eager.stored,
            });
            log({
                key: keys.stagingKey,
                outcome: "ready",
                reencoded: original.reencoded,
                bytes: original.bytes.length,
            });
        } catch (error) {
            if (!(error instanceof UploadRefused)) throw error;
            // The status first: if the delete then fails, the retry refuses again and deletes.
            await finish(keys, {
                status: "rejected",
                ...emptyStatus(keys),
                error: { code: error.code, message: error.message },
            });
            log({ key: keys.stagingKey, outcome: "rejected", code: error.code });
        }
        await s3.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: keys.stagingKey }));
    }

    return eachRecord("ingest", log, (record, key) => {
        const keys = record.eventName.startsWith("ObjectCreated:") ? parseStagingKey(key) : undefined;
        // Only the pipeline's own staging keys (the lifecycle rule empties anything else under incoming/).
        if (!keys || record.s3.bucket.name !== settings.bucket) return undefined;
        return { key: keys.stagingKey, run: () => ingest(keys) };
    });
}
