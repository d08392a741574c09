// GET /uploads/<uuid>: an upload's status, as the ingest function wrote it (status/<id>.json).
import type { S3Client } from "@aws-sdk/client-s3";
import { statusAsOf } from "../ingest/retryPolicy";
import { statusKey, UPLOAD_UUID_PATTERN } from "../shared/bucketLayout";
import { HttpError } from "../shared/http";
import { readStatus } from "../shared/statusStore";
import type { UploadStatus } from "../shared/uploadStatus";

/**
 * An upload's status object (status/<id>.json, written by the ingest function). With auth the id is the caller's
 * own: the owner segment comes from the JWT, never from the path. The role may list status/, so S3 answers a
 * missing object 404 NoSuchKey (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html,
 * "Permissions"); AccessDenied is a misconfiguration, never an unknown upload. A status pending past ingest's retry
 * window is answered failed, the second line of defence (statusAsOf, functions/ingest/retryPolicy.ts).
 */
export async function uploadStatus(
    deps: { s3: S3Client; bucket: string; now: () => number },
    uuid: string,
    owner: () => string,
): Promise<UploadStatus> {
    if (!UPLOAD_UUID_PATTERN.test(uuid))
        throw new HttpError(400, "invalid_id", "The upload id is not one this API hands out (a lower-case uuid)");
    const key = statusKey(`${owner()}${uuid}`);
    const stored = await readStatus(deps.s3, deps.bucket, key).catch((error: unknown) => {
        if ((error as { name?: string }).name === "AccessDenied")
            throw new HttpError(500, "misconfigured", "The status storage refused access; check the API's role");
        throw error;
    });
    if (!stored) throw new HttpError(404, "unknown_upload", "No upload with this id (yet)");
    return statusAsOf(stored, deps.now());
}
