// Reading and writing status/<id>.json, the same way for ingest, the ingest failure consumer and the status route.
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { UploadStatus } from "./uploadStatus";

export interface StoredStatus {
    status: UploadStatus;
    /** When it was written (S3's clock, whole seconds): how long a pending status has been pending. */
    lastModified?: Date;
}

/**
 * The status object, or undefined when there is none. S3 answers a missing key 404 NoSuchKey only to a caller
 * that may list the prefix, 403 AccessDenied otherwise
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"): AccessDenied is thrown.
 */
export async function readStatus(s3: S3Client, bucket: string, key: string): Promise<StoredStatus | undefined> {
    try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const status = JSON.parse(await object.Body!.transformToString("utf8")) as UploadStatus;
        return { status, lastModified: object.LastModified };
    } catch (error) {
        if ((error as { name?: string }).name === "NoSuchKey") return undefined;
        throw error;
    }
}

/**
 * Writes a status. `onlyIfAbsent`: a conditional write (If-None-Match: *), which S3 refuses with 412
 * PreconditionFailed when a status exists (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
 */
export async function putStatus(
    s3: S3Client,
    bucket: string,
    key: string,
    status: UploadStatus,
    options: { onlyIfAbsent?: boolean } = {},
): Promise<void> {
    await s3.send(
        new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify(status),
            ContentType: "application/json",
            CacheControl: "no-store", // it changes from pending to its final state
            ...(options.onlyIfAbsent ? { IfNoneMatch: "*" } : {}),
        }),
    );
}

/** S3's refusal of a conditional write whose condition did not hold: the key exists. (A concurrent conditional
 *  write answers 409 ConditionalRequestConflict, which stays an error: the attempt is retried.) */
export function isPreconditionFailed(error: unknown): boolean {
    const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return name === "PreconditionFailed" || $metadata?.httpStatusCode === 412;
}
