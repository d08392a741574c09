// A small HTTP gate in front of s3rver that refuses what AWS S3 refuses for the requests our product signs:
// presigned URLs whose SigV4 signature does not match the request as received, expired URLs, unsigned x-amz-*
// headers, checksums that do not match the body, and browser POST uploads that break their policy.
// Everything else (SDK requests with header auth, the local CDN's reads) passes through unchanged.
import * as http from "http";
import { randomBytes } from "crypto";
import { once } from "events";
import { AddressInfo } from "net";
import busboy from "busboy";
import { verifyChecksums } from "./checksumVerify";
import { readRequestBody } from "./httpEvent";
import { listenOnLoopback } from "./listen";
import { verifyPostUpload } from "./postPolicyVerify";
import { S3Failure, s3ErrorXml, s3Failure } from "./s3Failure";
import { isQuerySigned, LocalCredentials, verifyPresignedRequest } from "./sigv4Verify";

export interface S3GateOptions {
    /** Port to listen on (0: a free one), on 127.0.0.1. */
    port: number;
    /** s3rver's port on 127.0.0.1. */
    backendPort: number;
    credentials: LocalCredentials;
    /** Origins whose browsers get CORS headers on the gate's own refusals (as S3 adds them to errors). */
    corsOrigins: string[];
    /** Largest body the gate buffers; larger requests are refused as EntityTooLarge. */
    maxBodyBytes?: number;
    now?: () => number;
}

export interface RunningServer {
    url: string;
    port: number;
    close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024;

export async function startS3Gate(options: S3GateOptions): Promise<RunningServer> {
    const now = options.now ?? Date.now;
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

    const server = http.createServer(async (req, res) => {
        const requestId = randomBytes(8).toString("hex").toUpperCase();
        const refuse = (failure: S3Failure) => {
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
            // A CORS preflight carries the URL's query but is never signature-checked: s3rver answers it from the bucket's CORS rules.
            const querySigned = req.method !== "OPTIONS" && isQuerySigned(query);
            const postForm = req.method === "POST" && /^\/[^/]+\/?$/.test(rawPath)
                && (req.headers["content-type"] ?? "").startsWith("multipart/form-data");
            if (querySigned) {
                const failure = verifyPresignedRequest({ method: req.method ?? "GET", rawPath, query, headers: req.headers }, options.credentials, now());
                if (failure) {
                    // Let the client finish sending, so it reads the refusal instead of a reset connection.
                    req.resume();
                    await once(req, "end");
                    return refuse(failure);
                }
            }
            const needsBody = postForm || (querySigned && [...query.keys()].some((name) => name.startsWith("x-amz-checksum-")))
                || Object.keys(req.headers).some((name) => name.startsWith("x-amz-checksum-"));
            if (!needsBody) return forward(req, undefined, res, options.backendPort); // streamed through
            const body = await readRequestBody(req, maxBodyBytes);
            if (!body) return refuse(s3Failure(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"));
            let failure = verifyChecksums(query, req.headers, body);
            if (!failure && postForm) {
                const form = await readForm(req.headers, body);
                if (!form) failure = s3Failure(400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.");
                else failure = verifyPostUpload({ bucket: decodeURIComponent(rawPath.replace(/^\/|\/$/g, "")), ...form }, options.credentials, now());
            }
            if (failure) return refuse(failure);
            forward(req, body, res, options.backendPort);
        } catch {
            if (!res.headersSent) refuse(s3Failure(500, "InternalError", "We encountered an internal error. Please try again."));
            else res.end();
        }
    });
    await listenOnLoopback(server, options.port); // a busy port rejects (local/listen.ts)
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}`,
        port,
        close: () => new Promise((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
        }),
    };
}

function corsHeaders(origin: string | undefined, allowed: string[]): Record<string, string> {
    if (!origin || !(allowed.includes(origin) || allowed.includes("*"))) return {};
    return { "access-control-allow-origin": origin, vary: "Origin" };
}

/** The form fields before the file, and the file's size; undefined when the form is malformed. */
function readForm(headers: http.IncomingHttpHeaders, body: Buffer): Promise<{ fields: Array<[string, string]>; fileSize: number } | undefined> {
    return new Promise((resolve) => {
        const fields: Array<[string, string]> = [];
        let fileSize = -1;
        let parser: busboy.Busboy;
        try {
            parser = busboy({ headers, limits: { files: 1, fields: 100, fieldSize: 64 * 1024 } });
        } catch {
            resolve(undefined);
            return;
        }
        parser.on("field", (name, value) => {
            if (fileSize < 0) fields.push([name, value]); // S3 ignores fields after the file
        });
        parser.on("file", (_name, stream) => {
            fileSize = 0;
            stream.on("data", (chunk: Buffer) => { fileSize += chunk.length; });
        });
        parser.on("close", () => resolve(fileSize < 0 ? undefined : { fields, fileSize }));
        parser.on("error", () => resolve(undefined));
        parser.end(body);
    });
}

/** Sends the request on to s3rver: the buffered body when it was read for checks, else the request streamed. */
function forward(req: http.IncomingMessage, body: Buffer | undefined, res: http.ServerResponse, backendPort: number): void {
    const headers = { ...req.headers, host: `127.0.0.1:${backendPort}` };
    if (body) headers["content-length"] = String(body.length);
    const upstream = http.request({ host: "127.0.0.1", port: backendPort, method: req.method, path: req.url, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
    });
    // A client that goes away (an aborted read) must not leave s3rver streaming into nowhere.
    res.on("close", () => {
        if (!res.writableFinished) upstream.destroy();
    });
    upstream.on("error", () => {
        if (res.destroyed) return;
        if (!res.headersSent) res.writeHead(502, { "content-type": "application/xml" });
        res.end(s3ErrorXml(s3Failure(502, "ServiceUnavailable", "The local S3 server is not answering."), "gate"));
    });
    if (body) upstream.end(body);
    else req.pipe(upstream);
}
