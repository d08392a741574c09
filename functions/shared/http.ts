// The slice of API Gateway's HTTP API payload 2.0 (also a Lambda Function URL's) that the handlers use,
// and the JSON answers they give.
import { Log, uploadIdOf } from "./structuredLog";

export interface HttpEvent {
    rawPath: string;
    rawQueryString?: string;
    headers?: Record<string, string | undefined>;
    queryStringParameters?: Record<string, string | undefined>;
    body?: string;
    isBase64Encoded?: boolean;
    /** HTTP API stage variables (the Resizer's /resize route reads cdnUrl). */
    stageVariables?: Record<string, string | undefined>;
    requestContext: {
        requestId?: string;
        http: { method: string };
        authorizer?: { jwt?: { claims?: Record<string, unknown> } };
    };
}

export interface HttpResult {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
    isBase64Encoded?: boolean;
}

/**
 * A failure the caller caused or must know about, answered as `{ "error": { code, message } }`. Not an Error
 * subclass: in a serialized closure `super(message)` becomes `Error.call(this, message)`, which sets no message.
 */
export class HttpError {
    constructor(
        readonly statusCode: number,
        readonly code: string,
        readonly message: string,
        readonly headers: Record<string, string> = {},
    ) {}
}

/** 405 naming the methods a route takes, in the Allow header too. */
export function methodNotAllowed(allow: string): HttpError {
    return new HttpError(405, "method_not_allowed", `Method not allowed; use ${allow}`, { allow });
}

/** A route's answer before it becomes an HttpResult: its status and JSON body. */
export interface RouteAnswer {
    status: number;
    body: Record<string, unknown> | unknown[];
}

const JSON_HEADERS = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
};

export function jsonResult(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
    return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** The one error shape every function and local mode answers with: `{ "error": { code, message } }`. */
export function errorJson(
    statusCode: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
): HttpResult {
    return jsonResult(statusCode, { error: { code, message } }, headers);
}

/** An unexpected failure: an opaque 500, whatever went wrong (never a message or a stack trace). */
export function internalErrorResult(): HttpResult {
    return errorJson(500, "internal_error", "Internal error");
}

/** Any error as an answer: HttpErrors as they are, anything else as an opaque 500 (never a stack trace). */
export function errorResult(error: unknown): HttpResult {
    if (error instanceof HttpError) return errorJson(error.statusCode, error.code, error.message, error.headers);
    return internalErrorResult();
}

/** Header lookup that ignores case, as HTTP does (API Gateway lower-cases, local callers may not). */
export function headerValue(event: HttpEvent, name: string): string | undefined {
    const wanted = name.toLowerCase();
    for (const [key, value] of Object.entries(event.headers ?? {})) {
        if (key.toLowerCase() === wanted) return value;
    }
    return undefined;
}

/**
 * Runs a handler's work and turns any failure into its JSON answer (an unexpected one into an opaque 500, its
 * message logged), then writes the request's one line: upload id, key, HTTP status, outcome (the error code, or
 * "ok") and milliseconds, with the work's own fields.
 */
export async function answerAndLog(
    event: HttpEvent,
    log: Log,
    work: () => Promise<{ result: HttpResult; logFields: Record<string, unknown> & { key?: string } }>,
): Promise<HttpResult> {
    const started = Date.now();
    let result: HttpResult;
    let logFields: Record<string, unknown> & { key?: string } = {};
    try {
        ({ result, logFields } = await work());
    } catch (error) {
        result = errorResult(error);
        if (!(error instanceof HttpError)) {
            log({
                level: "error",
                message: "request failed",
                error: String((error as Error)?.message ?? error).slice(0, 300),
            });
        }
    }
    const failed = result.statusCode >= 400;
    log({
        level: result.statusCode >= 500 ? "error" : "info",
        message: "request",
        requestId: event.requestContext.requestId,
        method: event.requestContext.http.method,
        path: event.rawPath.slice(0, 200),
        uploadId: failed ? undefined : uploadIdOf(logFields.key),
        status: result.statusCode,
        outcome: failed ? JSON.parse(result.body).error.code : "ok",
        ...(failed ? {} : logFields),
        ms: Date.now() - started,
    });
    return result;
}
