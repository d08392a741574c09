// CloudFront, emulated: serves objects with their stored Content-Type, Cache-Control and metadata, ETag and
// If-None-Match (304), single byte ranges (206/416), gzip/brotli for compressible types, GET and HEAD (OPTIONS
// for CORS preflights) only, with the distribution's response-headers policy (CORS for the configured origins,
// nosniff, HSTS); a missing variant fails over to the resize handler, as the origin group does, and concurrent
// first requests for one variant resize once. Every key passes the S3 key check before any S3 call, and the
// bucket root is refused as CloudFront with OAC and no s3:ListBucket refuses it: 403, never a listing.
import * as http from "http";
import { createHash } from "crypto";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "zlib";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { HttpError, HttpEvent, HttpResult, errorJson, errorResult } from "../../functions/shared/http";
import { keyFromPath } from "../../functions/shared/objectKey";
import { STAGING_PREFIX, STATUS_PREFIX } from "../../functions/shared/bucketLayout";
import { SIZE_LIKE_SEGMENT } from "../../functions/shared/bucketLayout";
import { CDN_CORS, CDN_HSTS_MAX_AGE_SECONDS, cdnCorsAllowHeaders } from "../../functions/shared/cdnResponseHeaders";
import { resultBody } from "../../functions/shared/httpEvent";
import { byteRange } from "./byteRange";
import { ViewerRequest } from "./edgeRuntime";
import { AUTO_FORMAT_VARY } from "../../functions/edge/edgeFunction";
import { refusalResult, signedRequestRefusal, TrustedKeys } from "./signedUrlVerify";

export interface CdnOptions {
    s3: S3Client;
    bucket: string;
    resize: (event: HttpEvent) => Promise<HttpResult>;
    /** Where the CDN is mounted ("/cdn"): a redirect to "/<key>" from the Resizer means "/cdn/<key>" here. */
    basePath: string;
    /** Origins that may read with CORS (the stack's corsOrigins, or "*" alone). */
    corsOrigins: string[];
    corsAllowCredentials?: boolean;
    /** The viewer-request function of the variant behaviours (autoFormat: functions/edge/chooseFormat.js run by
     *  ./edgeRuntime.ts): the URI it leaves is what the origin group is asked for. */
    viewerRequest?: (request: ViewerRequest) => string;
    /** privateDelivery: the keys every behaviour trusts (./signedUrlVerify.ts); `now` is the CDN's clock. */
    signedUrls?: { keys: TrustedKeys; now: () => number };
}

interface Served {
    status: number;
    headers: Record<string, string>;
    body: Buffer;
}

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml)|image\/svg\+xml)/;
const MIN_COMPRESS_BYTES = 1000;
/** Paths CloudFront's origin group would send to the Resizer on a miss: variants, not originals. */

export function createCdn(options: CdnOptions) {
    const inFlight = new Map<string, Promise<Served>>();
    let resizeCalls = 0;

    async function fromBucket(key: string): Promise<Served | undefined> {
        try {
            const object = await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
            const body = Buffer.from(await object.Body!.transformToByteArray());
            const headers: Record<string, string> = {
                "content-type": object.ContentType ?? "application/octet-stream",
            };
            if (object.CacheControl) headers["cache-control"] = object.CacheControl;
            if (object.ETag) headers.etag = object.ETag;
            if (object.LastModified) headers["last-modified"] = object.LastModified.toUTCString();
            // S3 answers each metadata entry as x-amz-meta-<name>, and CloudFront passes it on: the image's cache
            // tag (the header the distribution's CacheTagConfig reads) among them.
            for (const [name, value] of Object.entries(object.Metadata ?? {})) headers[`x-amz-meta-${name}`] = value;
            return { status: 200, headers, body };
        } catch (error) {
            if ((error as { name?: string }).name === "NoSuchKey") return undefined;
            throw error;
        }
    }

    /** The origin group: the bucket, then (variants only) the resize handler, once per key at a time. */
    async function fromOrigin(key: string, rawPath: string): Promise<Served> {
        const stored = await fromBucket(key);
        if (stored) return stored;
        if (!SIZE_LIKE_SEGMENT.test(key)) return toServed(errorJson(404, "not_found", "No such object"));
        let pending = inFlight.get(key);
        if (!pending) {
            resizeCalls++;
            pending = options
                .resize(resizeEvent(rawPath))
                .then((result) => underBasePath(toServed(result), options.basePath))
                .finally(() => inFlight.delete(key));
            inFlight.set(key, pending);
        }
        return pending;
    }

    /** The response-headers policy: on every answer, errors included, as CloudFront adds them. */
    function policyHeaders(origin: string | undefined): Record<string, string> {
        const headers: Record<string, string> = {
            "x-content-type-options": "nosniff",
            "strict-transport-security": `max-age=${CDN_HSTS_MAX_AGE_SECONDS}`,
        };
        if (!origin) return headers;
        const any = options.corsOrigins.includes("*");
        if (!any && !options.corsOrigins.includes(origin)) return { ...headers, vary: "Origin" };
        return {
            ...headers,
            "access-control-allow-origin": any ? "*" : origin,
            "access-control-expose-headers": CDN_CORS.exposeHeaders.join(", "),
            ...(options.corsAllowCredentials ? { "access-control-allow-credentials": "true" } : {}),
            vary: "Origin",
        };
    }

    async function handle(
        req: http.IncomingMessage,
        res: http.ServerResponse,
        viewerPath: string,
        rawQuery = "",
    ): Promise<number> {
        const method = req.method ?? "GET";
        if (options.signedUrls) {
            // Checked on the URL the viewer sent, before anything else (the format function included). CloudFront's
            // own refusal carries no header of the response-headers policy: none is added here either.
            const url = `http://${req.headers.host}${options.basePath}${viewerPath}${rawQuery ? `?${rawQuery}` : ""}`;
            const refusal = signedRequestRefusal(
                { url, cookie: req.headers.cookie, sourceIp: req.socket.remoteAddress ?? "" },
                options.signedUrls.keys,
                options.signedUrls.now(),
            );
            if (refusal) return send(res, toServed(refusalResult(refusal)), method, {});
        }
        // The per-size behaviours (variants) run the function and add Vary: Accept (infra/delivery/cdnDistribution.ts).
        const variantBehaviour = options.viewerRequest !== undefined && SIZE_LIKE_SEGMENT.test(viewerPath.slice(1));
        const policy = withVary(policyHeaders(req.headers.origin), variantBehaviour ? AUTO_FORMAT_VARY : undefined);
        let rawPath = viewerPath;
        if (variantBehaviour && method !== "OPTIONS") {
            try {
                rawPath = options.viewerRequest!({ uri: viewerPath, method, headers: { accept: req.headers.accept } });
            } catch (error) {
                // CloudFront answers 503 when a function fails; this one is written never to.
                console.error(JSON.stringify({ msg: "viewer-request function failed", error: String(error) }));
                return send(
                    res,
                    toServed(errorJson(503, "function_error", "The edge function failed")),
                    method,
                    policy,
                );
            }
        }
        if (method === "OPTIONS") return preflight(req, res, policy);
        if (method !== "GET" && method !== "HEAD") {
            return send(
                res,
                toServed(errorJson(405, "method_not_allowed", "Use GET or HEAD", { allow: "GET, HEAD, OPTIONS" })),
                method,
                policy,
            );
        }
        let key: string;
        try {
            if (rawPath === "" || rawPath === "/") throw new HttpError(403, "access_denied", "Access denied"); // no listing
            key = keyFromPath(rawPath);
            // The bucket policy denies CloudFront the staged uploads and the statuses (infra/storage/bucketPolicy.ts): S3
            // answers its OAC request 403 AccessDenied, whether the object exists or not.
            if (key.startsWith(STAGING_PREFIX) || key.startsWith(STATUS_PREFIX))
                throw new HttpError(403, "access_denied", "Access denied");
        } catch (error) {
            return send(res, toServed(errorResult(error)), method, policy);
        }
        const served = await fromOrigin(key, rawPath);
        if (served.status === 200) {
            const etag = served.headers.etag ?? `"${createHash("md5").update(served.body).digest("hex")}"`;
            const headers = { ...served.headers, etag, "accept-ranges": "bytes" };
            if (matchesEtag(req.headers["if-none-match"], etag)) {
                res.writeHead(304, { ...pick(headers, ["etag", "cache-control", "last-modified"]), ...policy });
                res.end();
                return 304;
            }
            const ifRange = req.headers["if-range"];
            const range =
                ifRange === undefined || ifRange === etag
                    ? byteRange(req.headers.range, served.body.length)
                    : undefined;
            if (range === "unsatisfiable") {
                const refused = toServed(
                    errorJson(416, "range_not_satisfiable", "The requested range is not satisfiable", {
                        "content-range": `bytes */${served.body.length}`,
                    }),
                );
                return send(res, refused, method, policy);
            }
            if (range) {
                // A part is sent as stored (identity): a byte range of a compressed body would name other bytes.
                const part = served.body.subarray(range.start, range.end + 1);
                return send(
                    res,
                    {
                        status: 206,
                        headers: {
                            ...headers,
                            "content-range": `bytes ${range.start}-${range.end}/${served.body.length}`,
                        },
                        body: part,
                    },
                    method,
                    policy,
                );
            }
            return send(res, compress({ ...served, headers }, req.headers["accept-encoding"]), method, policy);
        }
        return send(res, served, method, policy);
    }

    /** A CORS preflight, answered by the response-headers policy: the CORS headers only for allowed origins. */
    function preflight(req: http.IncomingMessage, res: http.ServerResponse, policy: Record<string, string>): number {
        const requested = String(req.headers["access-control-request-method"] ?? "").toUpperCase();
        const allowed =
            policy["access-control-allow-origin"] !== undefined &&
            (CDN_CORS.allowMethods as readonly string[]).includes(requested);
        res.writeHead(
            200,
            allowed
                ? {
                      ...policy,
                      "access-control-allow-methods": CDN_CORS.allowMethods.join(", "),
                      "access-control-allow-headers": cdnCorsAllowHeaders(options.corsAllowCredentials ?? false).join(
                          ", ",
                      ),
                      "access-control-max-age": String(CDN_CORS.maxAgeSeconds),
                      "content-length": "0",
                  }
                : {
                      ...pick(policy, ["x-content-type-options", "strict-transport-security", "vary"]),
                      "content-length": "0",
                  },
        );
        res.end();
        return 200;
    }

    return { handle, resizeCalls: () => resizeCalls };
}

function withVary(headers: Record<string, string>, vary: string | undefined): Record<string, string> {
    if (!vary) return headers;
    return { ...headers, vary: headers.vary ? `${vary}, ${headers.vary}` : vary };
}

function resizeEvent(rawPath: string): HttpEvent {
    return { rawPath, headers: {}, requestContext: { http: { method: "GET" }, requestId: `cdn-${Date.now()}` } };
}

function underBasePath(served: Served, basePath: string): Served {
    const location = served.headers.location;
    if (!location?.startsWith("/")) return served;
    return { ...served, headers: { ...served.headers, location: `${basePath}${location}` } };
}

function toServed(result: HttpResult): Served {
    return { status: result.statusCode, headers: { ...result.headers }, body: resultBody(result) };
}

function send(res: http.ServerResponse, served: Served, method: string, policy: Record<string, string>): number {
    const vary = [served.headers.vary, policy.vary].filter(Boolean).join(", ");
    res.writeHead(served.status, {
        ...served.headers,
        ...policy,
        ...(vary ? { vary } : {}),
        "content-length": String(served.body.length),
    });
    res.end(method === "HEAD" ? undefined : served.body);
    return served.status;
}

function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
    if (!ifNoneMatch) return false;
    const weakless = (tag: string) => tag.trim().replace(/^W\//, "");
    return ifNoneMatch.trim() === "*" || ifNoneMatch.split(",").map(weakless).includes(weakless(etag));
}

function compress(served: Served, acceptEncoding: string | undefined): Served {
    const type = served.headers["content-type"] ?? "";
    if (!COMPRESSIBLE.test(type) || served.body.length < MIN_COMPRESS_BYTES) return served;
    const accepted = (acceptEncoding ?? "").split(",").map((part) => part.trim().split(";")[0]);
    const headers = { ...served.headers, vary: "Accept-Encoding" };
    if (accepted.includes("br")) {
        const body = brotliCompressSync(served.body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } });
        return { ...served, headers: { ...headers, "content-encoding": "br" }, body };
    }
    if (accepted.includes("gzip"))
        return { ...served, headers: { ...headers, "content-encoding": "gzip" }, body: gzipSync(served.body) };
    return { ...served, headers };
}

function pick(headers: Record<string, string>, names: string[]): Record<string, string> {
    return Object.fromEntries(names.filter((name) => headers[name] !== undefined).map((name) => [name, headers[name]]));
}
