// API Gateway HTTP API (payload 2.0) events, as the presign and resize handlers receive them.
import { HttpEvent } from "../../functions/shared/http";

export function httpEvent(
    method: string,
    rawPathWithQuery: string,
    options: {
        body?: unknown;
        headers?: Record<string, string>;
        claims?: Record<string, unknown>;
    } = {},
): HttpEvent {
    const [rawPath, rawQueryString = ""] = rawPathWithQuery.split(/\?(.*)/s, 2);
    const query = new URLSearchParams(rawQueryString);
    return {
        rawPath,
        rawQueryString,
        queryStringParameters: rawQueryString ? Object.fromEntries(query) : undefined,
        headers: options.headers ?? {},
        body:
            options.body === undefined
                ? undefined
                : typeof options.body === "string"
                  ? options.body
                  : JSON.stringify(options.body),
        isBase64Encoded: false,
        requestContext: {
            requestId: "test-request",
            http: { method },
            authorizer: options.claims ? { jwt: { claims: options.claims } } : undefined,
        },
    };
}
