// A small HTTP gate in front of s3rver that makes the local S3 a private bucket as AWS S3 is one: every request
// must carry a valid SigV4 signature (in the query: presigned URLs; in the Authorization header: the SDK clients),
// or be a browser POST upload whose policy is signed and kept; CORS preflights alone are answered unsigned.
// It also refuses what S3 refuses and s3rver does not check: expired URLs, unsigned x-amz-* headers, checksums
// and Content-MD5 that do not match the body, If-None-Match: * on an existing key. After a write or a delete it
// sends the bucket's event notifications (local/s3/objectCreatedEvents.ts), as S3 does.
// The steps, each in its own module: authentication (gateAuth.ts), the body's checks (gateBody.ts), the multipart
// operations and everything forwarded to s3rver (gateWrites.ts, gateForward.ts), the events (gateNotifications.ts).
import * as http from "http";
import { randomBytes } from "crypto";
import { AddressInfo } from "net";
import { listenOnLoopback } from "../listen";
import { answerPreflight } from "./corsPreflight";
import { authenticate } from "./gateAuth";
import { backendClient, bucketExists, objectExists } from "./gateBackend";
import { checkedBody } from "./gateBody";
import { BucketNotifications } from "./gateNotifications";
import { bucketOf, objectKeyOf, refuser } from "./gateRequest";
import { carryOutMultipart, forwardToBackend, GateState } from "./gateWrites";
import { KeyLocks } from "./keyLocks";
import { MultipartUploads, multipartOperation } from "./multipartUploads";
import { ObjectCreatedNotification, ObjectNotification } from "./objectCreatedEvents";
import { isPostForm } from "./postForm";
import { s3Failure } from "./s3Failure";
import { LocalCredentials } from "./sigv4Verify";

export interface S3GateOptions {
    /** Port to listen on (0: a free one), on 127.0.0.1. */
    port: number;
    /** s3rver's port on 127.0.0.1. */
    backendPort: number;
    credentials: LocalCredentials;
    /** The region every credential scope must name. */
    region: string;
    /** Origins whose browsers get CORS headers on the gate's own refusals (as S3 adds them to errors). */
    corsOrigins: string[];
    /** Verify SigV2 POST forms as a bucket created before June 2020 does (s3-tests only); refused otherwise. */
    acceptSigV2Post?: boolean;
    /** The bucket notification: ObjectCreated events for keys under a prefix, sent to a function. */
    objectCreated?: ObjectCreatedNotification;
    /** More of the bucket's notification configuration: ObjectCreated and/or ObjectRemoved under a prefix. */
    notifications?: ObjectNotification[];
    /** Largest body the gate buffers; larger requests are refused as EntityTooLarge. */
    maxBodyBytes?: number;
    now?: () => number;
}

export interface RunningServer {
    url: string;
    port: number;
    close(): Promise<void>;
}

export interface RunningGate extends RunningServer {
    /** Resolves once every event notification sent so far (and any they caused) has been delivered. */
    notificationsSettled(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024;

export async function startS3Gate(options: S3GateOptions): Promise<RunningGate> {
    const now = options.now ?? Date.now;
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    // The gate's own reads and deletes go straight to s3rver, signed as the SDK signs.
    const backend = backendClient(options.backendPort, options.region, options.credentials);
    const gate: GateState = {
        backend,
        backendPort: options.backendPort,
        corsOrigins: options.corsOrigins,
        // s3rver's multipart uploads are too lax (local/s3/multipartUploads.ts): the gate carries them out itself.
        multipart: new MultipartUploads(
            options.backendPort,
            (bucket, key) => objectExists(backend, bucket, key),
            (bucket) => bucketExists(backend, bucket),
        ),
        conditionalWrites: new KeyLocks(),
        notifications: new BucketNotifications(
            backend,
            [
                ...(options.objectCreated ? [{ ...options.objectCreated, events: ["ObjectCreated" as const] }] : []),
                ...(options.notifications ?? []),
            ],
            options.region,
        ),
    };

    const server = http.createServer(async (req, res) => {
        const requestId = randomBytes(8).toString("hex").toUpperCase();
        const refuse = refuser(req, res, requestId, options.corsOrigins);
        try {
            const [rawPath, rawQuery = ""] = (req.url ?? "/").split(/\?(.*)/s, 2);
            const query = new URLSearchParams(rawQuery);
            const method = req.method ?? "GET";
            if (method === "OPTIONS") {
                return await answerPreflight(req, res, { backend, backendPort: options.backendPort, rawPath, refuse });
            }
            const postForm = isPostForm(method, rawPath, req.headers["content-type"]);
            const signer = { credentials: options.credentials, region: options.region, now: now() };
            const auth = authenticate({ method, rawPath, query, headers: req.headers }, postForm, signer);
            if ("failure" in auth) return await refuse(auth.failure);

            const bucket = bucketOf(rawPath);
            const key = objectKeyOf(rawPath);
            const body = await checkedBody(
                {
                    req,
                    query,
                    bucket,
                    payload: auth.payload,
                    postForm,
                    completing: method === "POST" && query.has("uploadId"),
                },
                {
                    credentials: options.credentials,
                    region: options.region,
                    now,
                    maxBodyBytes,
                    acceptSigV2Post: options.acceptSigV2Post,
                },
            );
            if ("failure" in body) return await refuse(body.failure);

            const request = { req, res, requestId, refuse, method, query, bucket, key, postForm, body };
            const operation = key !== undefined && !postForm ? multipartOperation(method, query) : undefined;
            if (operation && key !== undefined) return await carryOutMultipart(operation, { ...request, key }, gate);
            await forwardToBackend(request, gate);
        } catch {
            if (!res.headersSent && !res.destroyed)
                await refuse(
                    s3Failure(500, "InternalError", "We encountered an internal error. Please try again."),
                ).catch(() => res.destroy());
            else res.destroy();
        }
    });
    await listenOnLoopback(server, options.port); // a busy port rejects (local/listen.ts)
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}`,
        port,
        notificationsSettled: () => gate.notifications.settled(),
        close: () =>
            new Promise((resolve) => {
                backend.destroy();
                gate.multipart.close().catch(() => undefined);
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}
