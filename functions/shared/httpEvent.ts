// Node HTTP ⇄ the API Gateway payload 2.0 shapes the handlers take and give, so local mode and the Resizer's
// container server (functions/resize/server.ts) run them as Lambda does.
import * as http from "http";
import { randomUUID } from "crypto";
import { HttpEvent, HttpResult } from "./http";

/** Requests larger than this are refused before reaching a handler (API Gateway's own limit is 10 MB). */
export const MAX_EVENT_BODY_BYTES = 1024 * 1024;

/**
 * The whole body, or undefined when it is larger than the limit. An oversized body is still read to its end
 * (and dropped), so the client finishes sending and reads the refusal instead of a reset connection.
 */
export function readRequestBody(req: http.IncomingMessage, limit = MAX_EVENT_BODY_BYTES): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size <= limit) chunks.push(chunk);
        });
        req.on("end", () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
        req.on("error", reject);
        // A client gone mid-body: settle (rejected, observed by the caller) rather than wait forever.
        req.on("close", () => {
            if (!req.complete) reject(new Error("The client closed the connection before sending the whole body"));
        });
    });
}

export function toHttpEvent(
    req: http.IncomingMessage,
    rawPath: string,
    rawQueryString: string,
    body: Buffer,
    stageVariables: Record<string, string>,
): HttpEvent {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
    }
    const query = new URLSearchParams(rawQueryString);
    return {
        rawPath,
        rawQueryString,
        headers,
        queryStringParameters: rawQueryString ? Object.fromEntries(query) : undefined,
        body: body.length > 0 ? body.toString("base64") : undefined,
        isBase64Encoded: body.length > 0,
        stageVariables,
        requestContext: { requestId: randomUUID(), http: { method: req.method ?? "GET" } },
    };
}

/** Bytes of a handler's answer body. */
export function resultBody(result: HttpResult): Buffer {
    return Buffer.from(result.body ?? "", result.isBase64Encoded ? "base64" : "utf8");
}

export function sendHttpResult(
    res: http.ServerResponse,
    result: HttpResult,
    extraHeaders: Record<string, string> = {},
    headOnly = false,
): void {
    const body = resultBody(result);
    res.writeHead(result.statusCode, { ...result.headers, ...extraHeaders, "content-length": String(body.length) });
    res.end(headOnly ? undefined : body);
}
