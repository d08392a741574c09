// What the gate does with a request it let in: a multipart upload's operations it carries out itself (s3rver's
// are too lax: multipartUploads.ts); everything else goes on to s3rver, a conditional write (If-None-Match: *)
// holding its key until s3rver has answered, and a write or delete that succeeded sends the bucket's events.
import * as http from "http";
import { S3Client } from "@aws-sdk/client-s3";
import { uploadCorsRule } from "../../functions/shared/bucketCors";
import { objectExists } from "./gateBackend";
import { CheckedBody } from "./gateBody";
import { forward } from "./gateForward";
import { BucketNotifications } from "./gateNotifications";
import { conditionalHeader, corsHeaders, deletedKeys, Refuse } from "./gateRequest";
import { KeyLocks } from "./keyLocks";
import { MultipartOperation, MultipartUploads } from "./multipartUploads";
import { ObjectCreatedEventName } from "./objectCreatedEvents";
import { s3Failure } from "./s3Failure";

/** What the gate holds across requests. */
export interface GateState {
    backend: S3Client;
    backendPort: number;
    corsOrigins: string[];
    multipart: MultipartUploads;
    conditionalWrites: KeyLocks;
    notifications: BucketNotifications;
}

/** One request the gate let in, its body checked. */
export interface AdmittedRequest {
    req: http.IncomingMessage;
    res: http.ServerResponse;
    requestId: string;
    refuse: Refuse;
    method: string;
    query: URLSearchParams;
    bucket: string;
    /** The object key of the path; undefined for bucket-level requests. */
    key: string | undefined;
    postForm: boolean;
    body: CheckedBody;
}

/** A multipart upload's operation (create, upload part, list parts, complete, abort), carried out by the gate. */
export async function carryOutMultipart(
    operation: MultipartOperation,
    request: AdmittedRequest & { key: string },
    gate: GateState,
): Promise<void> {
    const { req, res, bucket, key } = request;
    const conditionalComplete = operation === "complete" && conditionalHeader(req.headers["if-none-match"]) === "*";
    const release = conditionalComplete ? await gate.conditionalWrites.acquire(`${bucket}/${key}`) : () => {};
    try {
        const outcome = await gate.multipart.handle({
            operation,
            bucket,
            key,
            query: request.query,
            req,
            body: request.body.rewrite.body,
            checksums: request.body.claims,
        });
        if ("code" in outcome) return await request.refuse(outcome);
        if (outcome.created) gate.notifications.created(bucket, key, "CompleteMultipartUpload");
        const cors = corsHeaders(req.headers.origin, gate.corsOrigins);
        res.writeHead(outcome.answer.status, {
            "x-amz-request-id": request.requestId,
            ...outcome.answer.headers,
            ...cors,
            // As the bucket's CORS rule exposes them to the page (Uppy reads each part's ETag).
            ...("access-control-allow-origin" in cors
                ? { "access-control-expose-headers": uploadCorsRule(gate.corsOrigins).exposeHeaders.join(", ") }
                : {}),
        });
        res.end(outcome.answer.body ?? "");
    } finally {
        release();
    }
}

/** Any other request: on to s3rver; its events once s3rver has answered with success. */
export async function forwardToBackend(request: AdmittedRequest, gate: GateState): Promise<void> {
    const { req, method, query, bucket, key } = request;
    // Every operation of a multipart upload (complete included) was carried out by carryOutMultipart.
    const writesObject = key !== undefined && method === "PUT" && !query.has("uploadId");
    let releaseKey = () => {};
    if (writesObject && conditionalHeader(req.headers["if-none-match"]) === "*") {
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html: of two concurrent
        // conditional writes of one key, one wins. The check and the write hold the key until s3rver has answered.
        releaseKey = await gate.conditionalWrites.acquire(`${bucket}/${key}`);
        if (
            await objectExists(gate.backend, bucket, key).catch((error: unknown) => {
                releaseKey();
                throw error;
            })
        ) {
            releaseKey();
            return await request.refuse(
                s3Failure(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"),
            );
        }
    }
    const removed: string[] = [];
    if (method === "DELETE" && key !== undefined && !query.has("uploadId")) removed.push(key);
    // DeleteObjects (POST ?delete): its body names the keys (the SDK always sends it with a checksum, so it was read).
    const body = request.body.rewrite.body;
    if (method === "POST" && key === undefined && query.has("delete") && body) removed.push(...deletedKeys(body));
    const created: ObjectCreatedEventName | undefined = request.postForm
        ? "Post"
        : writesObject
          ? req.headers["x-amz-copy-source"] === undefined
              ? "Put"
              : "Copy"
          : undefined;
    const writtenKey = request.postForm ? request.body.postKey : key;
    await forward(req, request.res, gate.backendPort, request.body.rewrite, async (status) => {
        releaseKey();
        if (status < 200 || status >= 300) return;
        if (created && writtenKey !== undefined) gate.notifications.created(bucket, writtenKey, created);
        gate.notifications.removed(bucket, removed);
    }).finally(releaseKey);
}
