// A small HTTP gate in front of s3rver that makes the local S3 a private bucket as AWS S3 is one: every request
// must carry a valid SigV4 signature (in the query: presigned URLs; in the Authorization header: the SDK clients),
// or be a browser POST upload whose policy is signed and kept; CORS preflights alone are answered unsigned.
// It also refuses what S3 refuses and s3rver does not check: expired URLs, unsigned x-amz-* headers, checksums
// and Content-MD5 that do not match the body, If-None-Match: * on an existing key. After a write or a delete it
// sends the bucket's event notifications (local/s3/objectCreatedEvents.ts), as S3 does.
import * as http from "http";
import { randomBytes } from "crypto";
import { once } from "events";
import { AddressInfo } from "net";
import { pipeline } from "stream/promises";
import { HeadBucketCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createS3Client } from "../../functions/shared/s3Client";
import { checksumClaims, hasChecksumClaim, verifyChecksums, verifyContentMd5 } from "./checksumVerify";
import { isHeaderSigned, PayloadClaim, payloadHashFailure, verifyHeaderSignedRequest } from "./headerAuthVerify";
import { readRequestBody } from "../../functions/shared/httpEvent";
import { listenOnLoopback } from "../listen";
import { isPostForm, readPostForm, rewritePostForm, substitutedKey } from "./postForm";
import { preflightAllowOrigin } from "./corsPreflight";
import { verifyPostUpload } from "./postPolicyVerify";
import { S3Failure, s3ErrorXml, s3Failure } from "./s3Failure";
import { isQuerySigned, LocalCredentials, verifyPresignedRequest } from "./sigv4Verify";
import {
    announceObjectCreated,
    announceObjectRemoved,
    ObjectCreatedEventName,
    ObjectCreatedNotification,
    ObjectNotification,
} from "./objectCreatedEvents";
import { MultipartUploads, multipartOperation } from "./multipartUploads";
import { uploadCorsRule } from "../../functions/shared/bucketCors";

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

/** What the gate sends s3rver in place of the request's own body and headers. */
interface Rewrite {
    body?: Buffer;
    headers?: Record<string, string>;
}

export async function startS3Gate(options: S3GateOptions): Promise<RunningGate> {
    const now = options.now ?? Date.now;
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    // The gate's own reads and deletes go straight to s3rver, signed as the SDK signs.
    const backend = createS3Client({
        endpoint: `http://127.0.0.1:${options.backendPort}`,
        region: options.region,
        credentials: options.credentials,
    });

    const conditionalWrites = new KeyLocks();
    // s3rver's multipart uploads are too lax (local/s3/multipartUploads.ts): the gate carries them out itself.
    const multipart = new MultipartUploads(
        options.backendPort,
        (bucket, key) => exists(backend, bucket, key),
        (bucket) =>
            backend.send(new HeadBucketCommand({ Bucket: bucket })).then(
                () => true,
                (error: { $metadata?: { httpStatusCode?: number } }) => {
                    if (error.$metadata?.httpStatusCode === 404) return false;
                    throw error;
                },
            ),
    );
    const notifications: ObjectNotification[] = [
        ...(options.objectCreated ? [{ ...options.objectCreated, events: ["ObjectCreated" as const] }] : []),
        ...(options.notifications ?? []),
    ];
    const deliveries = new Set<Promise<void>>();
    const track = (delivery: Promise<void>) => {
        deliveries.add(delivery);
        void delivery.then(() => deliveries.delete(delivery)); // a delivery never rejects
    };

    const server = http.createServer(async (req, res) => {
        const requestId = randomBytes(8).toString("hex").toUpperCase();
        const refuse = async (failure: S3Failure) => {
            // Let the client finish sending, so it reads the refusal instead of a reset connection.
            if (!req.readableEnded && !req.destroyed) {
                req.resume();
                await Promise.race([once(req, "end"), once(req, "close")]).catch(() => undefined);
            }
            if (res.headersSent || res.destroyed) return;
            res.writeHead(failure.status, {
                "content-type": "application/xml",
                "x-amz-request-id": requestId,
                ...corsHeaders(req.headers.origin, options.corsOrigins),
            });
            res.end(s3ErrorXml(failure, requestId));
        };
        try {
            const [rawPath, rawQuery = ""] = (req.url ?? "/").split(/\?(.*)/s, 2);
            const query = new URLSearchParams(rawQuery);
            const method = req.method ?? "GET";
            const received = { method, rawPath, query, headers: req.headers };
            // OPTIONS is S3's CORS preflight, never signed (a presigned URL's query is not checked either): s3rver answers it
            // from the bucket's CORS rules, and one without Origin 400 as S3 does. It reads and writes no object.
            // https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
            if (method === "OPTIONS") {
                // s3rver answers these with 403; S3 with 400.
                if (req.headers.origin === undefined)
                    return await refuse(
                        s3Failure(400, "BadRequest", "Insufficient information. Origin request header needed."),
                    );
                if (req.headers["access-control-request-method"] === undefined)
                    return await refuse(s3Failure(400, "BadRequest", "Invalid Access-Control-Request-Method: null"));
                const origin = req.headers.origin,
                    requested = String(req.headers["access-control-request-method"]);
                return forward(req, res, options.backendPort, {}, async (status, headers) => {
                    if (status === 200 && headers["access-control-allow-origin"] === "*") {
                        headers["access-control-allow-origin"] = await preflightAllowOrigin(
                            backend,
                            decodeURIComponent(rawPath.split("/")[1] ?? ""),
                            origin,
                            requested,
                        );
                    }
                });
            }
            const querySigned = isQuerySigned(query);
            const headerSigned = isHeaderSigned(req.headers);
            const postForm = isPostForm(method, rawPath, req.headers["content-type"]);
            let payload: PayloadClaim = { kind: "unsigned" };
            if (querySigned && headerSigned) {
                return await refuse(
                    s3Failure(
                        400,
                        "InvalidArgument",
                        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified",
                    ),
                );
            } else if (querySigned) {
                const failure = verifyPresignedRequest(received, options.credentials, now(), options.region);
                if (failure) return await refuse(failure);
            } else if (headerSigned) {
                const verdict = verifyHeaderSignedRequest(received, options.credentials, now(), options.region);
                if ("failure" in verdict) return await refuse(verdict.failure);
                payload = verdict.payload;
            } else if (!postForm) {
                // A private bucket: anonymous requests are refused, whatever the operation.
                return await refuse(s3Failure(403, "AccessDenied", "Access Denied"));
            }

            const bucket = decodeURIComponent(rawPath.split("/")[1] ?? "");
            const key = objectKeyOf(rawPath);
            const completing = method === "POST" && query.has("uploadId");
            // CompleteMultipartUpload's checksum headers are the parts' composite checksum, not the XML body's.
            const claims = completing ? new Map<string, string>() : checksumClaims(query, req.headers);
            const needsBody =
                postForm ||
                payload.kind === "sha256" ||
                req.headers["content-md5"] !== undefined ||
                (hasChecksumClaim(query, req.headers) && !completing);
            let rewrite: Rewrite = {};
            let writtenKey = key;
            if (needsBody) {
                const body = await readRequestBody(req, maxBodyBytes);
                if (!body)
                    return await refuse(
                        s3Failure(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"),
                    );
                const failure =
                    payloadHashFailure(payload, body) ??
                    verifyContentMd5(req.headers["content-md5"], body) ??
                    (await verifyChecksums(claims, body));
                if (failure) return await refuse(failure);
                rewrite = { body };
                if (postForm) {
                    const form = await readPostForm(req.headers, body);
                    if ("status" in form) return await refuse(form);
                    const fields = form.fields.map(([name, value]): [string, string] => [
                        name,
                        name.toLowerCase() === "key" ? substitutedKey(value, form.fileName) : value,
                    ]);
                    const policyFailure =
                        verifyPostUpload(
                            { bucket, fields, fileSize: form.file.length },
                            options.credentials,
                            now(),
                            options.region,
                            { acceptSigV2: options.acceptSigV2Post },
                        ) ??
                        (await verifyChecksums(
                            new Map(
                                fields
                                    .filter(([name]) => /^x-amz-checksum-/i.test(name))
                                    .map(([name, value]) => [
                                        name.toLowerCase().slice("x-amz-checksum-".length),
                                        value,
                                    ]),
                            ),
                            form.file,
                        ));
                    if (policyFailure) return await refuse(policyFailure);
                    const rewritten = rewritePostForm(form);
                    rewrite = { body: rewritten.body, headers: { "content-type": rewritten.contentType } };
                    writtenKey = fields.find(([name]) => name.toLowerCase() === "key")?.[1];
                }
            }
            const multipartOp = key !== undefined && !postForm ? multipartOperation(method, query) : undefined;
            if (multipartOp && key !== undefined) {
                const conditionalComplete =
                    multipartOp === "complete" && conditionalHeader(req.headers["if-none-match"]) === "*";
                const release = conditionalComplete ? await conditionalWrites.acquire(`${bucket}/${key}`) : () => {};
                try {
                    const outcome = await multipart.handle({
                        operation: multipartOp,
                        bucket,
                        key,
                        query,
                        req,
                        body: rewrite.body,
                        checksums: claims,
                    });
                    if ("code" in outcome) return await refuse(outcome);
                    if (outcome.created)
                        for (const notification of notifications)
                            if (notification.events.includes("ObjectCreated"))
                                track(
                                    announceObjectCreated(backend, notification, {
                                        bucket,
                                        key,
                                        eventName: "CompleteMultipartUpload",
                                        region: options.region,
                                    }),
                                );
                    const cors = corsHeaders(req.headers.origin, options.corsOrigins);
                    res.writeHead(outcome.answer.status, {
                        "x-amz-request-id": requestId,
                        ...outcome.answer.headers,
                        ...cors,
                        // As the bucket's CORS rule exposes them to the page (Uppy reads each part's ETag).
                        ...("access-control-allow-origin" in cors
                            ? {
                                  "access-control-expose-headers": uploadCorsRule(
                                      options.corsOrigins,
                                  ).exposeHeaders.join(", "),
                              }
                            : {}),
                    });
                    res.end(outcome.answer.body ?? "");
                    return;
                } finally {
                    release();
                }
            }
            // Every operation of a multipart upload (complete included) was carried out above.
            const writesObject = key !== undefined && method === "PUT" && !query.has("uploadId");
            let releaseKey = () => {};
            if (writesObject && conditionalHeader(req.headers["if-none-match"]) === "*") {
                // https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html: of two concurrent
                // conditional writes of one key, one wins. The check and the write hold the key until s3rver has answered.
                releaseKey = await conditionalWrites.acquire(`${bucket}/${key}`);
                if (
                    await exists(backend, bucket, key).catch((error: unknown) => {
                        releaseKey();
                        throw error;
                    })
                ) {
                    releaseKey();
                    return await refuse(
                        s3Failure(
                            412,
                            "PreconditionFailed",
                            "At least one of the pre-conditions you specified did not hold",
                        ),
                    );
                }
            }
            const removed: string[] = [];
            if (method === "DELETE" && key !== undefined && !query.has("uploadId")) removed.push(key);
            // DeleteObjects (POST ?delete): its body names the keys (the SDK always sends it with a checksum, so it was read).
            if (method === "POST" && key === undefined && query.has("delete") && rewrite.body)
                removed.push(...deletedKeys(rewrite.body));
            const created: ObjectCreatedEventName | undefined = postForm
                ? "Post"
                : writesObject
                  ? req.headers["x-amz-copy-source"] === undefined
                      ? "Put"
                      : "Copy"
                  : undefined;
            await forward(req, res, options.backendPort, rewrite, async (status) => {
                releaseKey();
                if (status < 200 || status >= 300) return;
                for (const notification of notifications) {
                    if (created && writtenKey !== undefined && notification.events.includes("ObjectCreated"))
                        track(
                            announceObjectCreated(backend, notification, {
                                bucket,
                                key: writtenKey,
                                eventName: created,
                                region: options.region,
                            }),
                        );
                    if (notification.events.includes("ObjectRemoved"))
                        for (const removedKey of removed)
                            track(
                                announceObjectRemoved(notification, {
                                    bucket,
                                    key: removedKey,
                                    region: options.region,
                                }),
                            );
                }
            }).finally(releaseKey);
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
        async notificationsSettled() {
            while (deliveries.size > 0) await Promise.all([...deliveries]);
        },
        close: () =>
            new Promise((resolve) => {
                backend.destroy();
                multipart.close().catch(() => undefined);
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}

/** One holder per key at a time: acquire() resolves with the release function once the key is free. */
class KeyLocks {
    private readonly tails = new Map<string, Promise<void>>();

    async acquire(key: string): Promise<() => void> {
        const previous = this.tails.get(key) ?? Promise.resolve();
        let release!: () => void;
        const held = new Promise<void>((resolve) => {
            release = resolve;
        });
        const tail = previous.then(() => held);
        this.tails.set(key, tail);
        await previous;
        let released = false;
        return () => {
            if (released) return;
            released = true;
            release();
            if (this.tails.get(key) === tail) this.tails.delete(key);
        };
    }
}

function corsHeaders(origin: string | undefined, allowed: string[]): Record<string, string> {
    if (!origin || !(allowed.includes(origin) || allowed.includes("*"))) return {};
    return { "access-control-allow-origin": origin, vary: "Origin" };
}

/** "/bucket/a/b.png" → "a/b.png"; undefined for bucket-level paths. */
function objectKeyOf(rawPath: string): string | undefined {
    const at = rawPath.indexOf("/", 1);
    if (at < 0 || at === rawPath.length - 1) return undefined;
    return decodeURIComponent(rawPath.slice(at + 1));
}

const XML_ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'" };

/** The keys of a DeleteObjects request body (<Delete><Object><Key>…</Key></Object>…</Delete>). */
function deletedKeys(body: Buffer): string[] {
    return [...body.toString("utf8").matchAll(/<Key>([^<]*)<\/Key>/g)].map(([, text]) =>
        text.replace(/&(amp|lt|gt|quot|apos);/g, (entity) => XML_ENTITIES[entity]),
    );
}

function conditionalHeader(value: string | string[] | undefined): string | undefined {
    return (Array.isArray(value) ? value[0] : value)?.trim();
}

async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
    try {
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
    } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw error;
    }
}

/**
 * Sends the request on to s3rver (the rewritten body, else the request streamed) and its answer back. afterSuccess
 * runs before the answer is passed on, so a client that reads the answer sees its consequences (variants gone).
 * s3rver's Location (on a POST upload) names its private port: the client gets the gate's address instead.
 */
function forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    backendPort: number,
    rewrite: Rewrite,
    afterSuccess?: (status: number, headers: http.IncomingHttpHeaders) => Promise<void>,
): Promise<void> {
    const backendOrigin = `http://127.0.0.1:${backendPort}`;
    const publicOrigin = `http://${req.headers.host ?? "127.0.0.1"}`;
    const headers: http.OutgoingHttpHeaders = { ...req.headers, ...rewrite.headers, host: `127.0.0.1:${backendPort}` };
    if (rewrite.body) {
        headers["content-length"] = String(rewrite.body.length);
        delete headers["transfer-encoding"];
    }
    return new Promise<void>((resolve) => {
        const upstream = http.request(
            { host: "127.0.0.1", port: backendPort, method: req.method, path: req.url, headers },
            (answer) => {
                void (async () => {
                    const status = answer.statusCode ?? 502;
                    const answerHeaders = { ...answer.headers };
                    const location = answerHeaders.location;
                    if (location?.startsWith(backendOrigin))
                        answerHeaders.location = publicOrigin + location.slice(backendOrigin.length);
                    try {
                        if (afterSuccess) await afterSuccess(status, answerHeaders);
                    } catch {
                        answer.destroy();
                        if (!res.headersSent) res.writeHead(500, { "content-type": "application/xml" });
                        res.end(
                            s3ErrorXml(
                                s3Failure(
                                    500,
                                    "InternalError",
                                    "We encountered an internal error after the request was carried out. Please try again.",
                                ),
                                "gate",
                            ),
                        );
                        return resolve();
                    }
                    if (/xml/.test(String(answerHeaders["content-type"] ?? "")) && location) {
                        // A 201 POST answer carries the Location in its XML body too.
                        const chunks: Buffer[] = [];
                        for await (const chunk of answer) chunks.push(chunk as Buffer);
                        const text = Buffer.concat(chunks).toString("utf8").split(backendOrigin).join(publicOrigin);
                        answerHeaders["content-length"] = String(Buffer.byteLength(text));
                        res.writeHead(status, answerHeaders);
                        res.end(text);
                        return resolve();
                    }
                    res.writeHead(status, answerHeaders);
                    answer.pipe(res);
                    answer.on("end", () => resolve());
                    answer.on("error", () => resolve());
                })().catch(() => resolve());
            },
        );
        // A client that goes away (an aborted read) must not leave s3rver streaming into nowhere.
        res.on("close", () => {
            if (!res.writableFinished) upstream.destroy();
            resolve();
        });
        upstream.on("error", () => {
            resolve();
            if (res.destroyed) return;
            if (!res.headersSent) res.writeHead(502, { "content-type": "application/xml" });
            res.end(s3ErrorXml(s3Failure(502, "ServiceUnavailable", "The local S3 server is not answering."), "gate"));
        });
        if (rewrite.body) upstream.end(rewrite.body);
        // A client that disconnects mid-body makes the upstream request fail too, so s3rver never completes a partial object.
        else pipeline(req, upstream).catch(() => upstream.destroy());
    });
}
