// Node HTTP ⇄ the API Gateway payload 2.0 shapes the handlers take and give, so local mode runs them as Lambda does.
import * as http from "http";
import { randomUUID } from "crypto";
import { HttpEvent, HttpResult } from "../functions/http";

/** Requests larger than this are refused before reaching a handler (API Gateway's own limit is 10 MB). */
export const MAX_EVENT_BODY_BYTES = 1024 * 1024;

export async function readRequestBody(req: http.IncomingMessage, limit = MAX_EVENT_BODY_BYTES): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > limit) return undefined;
        chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
}

export function toHttpEvent(req: http.IncomingMessage, rawPath: string, rawQueryString: string, body: Buffer,
                            stageVariables: Record<string, string>): HttpEvent {
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

export function sendHttpResult(res: http.ServerResponse, result: HttpResult, extraHeaders: Record<string, string> = {}, headOnly = false): void {
    const body = resultBody(result);
    res.writeHead(result.statusCode, { ...result.headers, ...extraHeaders, "content-length": String(body.length) });
    res.end(headOnly ? undefined : body);
}
