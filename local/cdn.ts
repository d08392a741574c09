// CloudFront, emulated: serves objects with their stored Content-Type and Cache-Control, ETag and
// If-None-Match (304), gzip/brotli for compressible types, GET and HEAD only; a missing variant fails over to
// the resize handler, as the origin group does, and concurrent first requests for one variant resize once.
import * as http from "http";
import { createHash } from "crypto";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "zlib";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { HttpEvent, HttpResult, jsonResult } from "../functions/http";
import { resultBody } from "./httpEvent";

export interface CdnOptions {
    s3: S3Client;
    bucket: string;
    resize: (event: HttpEvent) => Promise<HttpResult>;
    /** Where the CDN is mounted ("/cdn"): a redirect to "/<key>" from the Resizer means "/cdn/<key>" here. */
    basePath: string;
}

interface Served {
    status: number;
    headers: Record<string, string>;
    body: Buffer;
}

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml)|image\/svg\+xml)/;
const MIN_COMPRESS_BYTES = 1000;
/** Paths CloudFront's origin group would send to the Resizer on a miss: variants, not originals. */
const VARIANT_PATH = /^\d+x\d+\//;

export function createCdn(options: CdnOptions) {
    const inFlight = new Map<string, Promise<Served>>();
    let resizeCalls = 0;

    async function fromBucket(key: string): Promise<Served | undefined> {
        try {
            const object = await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
            const body = Buffer.from(await object.Body!.transformToByteArray());
            const headers: Record<string, string> = { "content-type": object.ContentType ?? "application/octet-stream" };
            if (object.CacheControl) headers["cache-control"] = object.CacheControl;
            if (object.ETag) headers.etag = object.ETag;
            if (object.LastModified) headers["last-modified"] = object.LastModified.toUTCString();
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
        if (!VARIANT_PATH.test(key)) return toServed(jsonResult(404, { error: { code: "not_found", message: "No such object" } }));
        let pending = inFlight.get(key);
        if (!pending) {
            resizeCalls++;
            pending = options.resize(resizeEvent(rawPath)).then((result) => underBasePath(toServed(result), options.basePath))
                .finally(() => inFlight.delete(key));
            inFlight.set(key, pending);
        }
        return pending;
    }

    async function handle(req: http.IncomingMessage, res: http.ServerResponse, rawPath: string): Promise<number> {
        const method = req.method ?? "GET";
        if (method !== "GET" && method !== "HEAD") {
            return send(res, toServed(jsonResult(405, { error: { code: "method_not_allowed", message: "Use GET or HEAD" } }, { allow: "GET, HEAD" })), method);
        }
        let key: string;
        try {
            key = decodeURIComponent(rawPath.replace(/^\//, ""));
        } catch {
            return send(res, toServed(jsonResult(400, { error: { code: "invalid_key", message: "Invalid percent-encoding" } })), method);
        }
        const served = await fromOrigin(key, rawPath);
        if (served.status === 200) {
            const etag = served.headers.etag ?? `"${createHash("md5").update(served.body).digest("hex")}"`;
            const headers = { ...served.headers, etag };
            if (matchesEtag(req.headers["if-none-match"], etag)) {
                res.writeHead(304, pick(headers, ["etag", "cache-control", "last-modified"]));
                res.end();
                return 304;
            }
            return send(res, compress({ ...served, headers }, req.headers["accept-encoding"]), method);
        }
        return send(res, served, method);
    }

    return { handle, resizeCalls: () => resizeCalls };
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

function send(res: http.ServerResponse, served: Served, method: string): number {
    res.writeHead(served.status, { ...served.headers, "content-length": String(served.body.length) });
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
    if (accepted.includes("gzip")) return { ...served, headers: { ...headers, "content-encoding": "gzip" }, body: gzipSync(served.body) };
    return { ...served, headers };
}

function pick(headers: Record<string, string>, names: string[]): Record<string, string> {
    return Object.fromEntries(names.filter((name) => headers[name] !== undefined).map((name) => [name, headers[name]]));
}
