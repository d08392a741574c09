// What the gate reads off a request (bucket, key, conditional headers, the keys a DeleteObjects names) and how it
// answers with a refusal: S3's XML error, with the CORS headers S3 adds to errors for an allowed origin.
import * as http from "http";
import { once } from "events";
import { S3Failure, s3ErrorXml } from "./s3Failure";

/** The CORS headers of an answer to `origin`, when the bucket's rule allows it. */
export function corsHeaders(origin: string | undefined, allowed: string[]): Record<string, string> {
    if (!origin || !(allowed.includes(origin) || allowed.includes("*"))) return {};
    return { "access-control-allow-origin": origin, vary: "Origin" };
}

/** "/bucket/a/b.png" → "bucket". */
export function bucketOf(rawPath: string): string {
    return decodeURIComponent(rawPath.split("/")[1] ?? "");
}

/** "/bucket/a/b.png" → "a/b.png"; undefined for bucket-level paths. */
export function objectKeyOf(rawPath: string): string | undefined {
    const at = rawPath.indexOf("/", 1);
    if (at < 0 || at === rawPath.length - 1) return undefined;
    return decodeURIComponent(rawPath.slice(at + 1));
}

const XML_ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'" };

/** The keys of a DeleteObjects request body (<Delete><Object><Key>…</Key></Object>…</Delete>). */
export function deletedKeys(body: Buffer): string[] {
    return [...body.toString("utf8").matchAll(/<Key>([^<]*)<\/Key>/g)].map(([, text]) =>
        text.replace(/&(amp|lt|gt|quot|apos);/g, (entity) => XML_ENTITIES[entity]),
    );
}

/** The value of a conditional header (If-None-Match), trimmed. */
export function conditionalHeader(value: string | string[] | undefined): string | undefined {
    return (Array.isArray(value) ? value[0] : value)?.trim();
}

/** Answers the request with `failure`, once the client has finished sending (so it reads it, not a reset). */
export type Refuse = (failure: S3Failure) => Promise<void>;

export function refuser(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    requestId: string,
    corsOrigins: string[],
): Refuse {
    return async (failure) => {
        if (!req.readableEnded && !req.destroyed) {
            req.resume();
            await Promise.race([once(req, "end"), once(req, "close")]).catch(() => undefined);
        }
        if (res.headersSent || res.destroyed) return;
        res.writeHead(failure.status, {
            "content-type": "application/xml",
            "x-amz-request-id": requestId,
            ...corsHeaders(req.headers.origin, corsOrigins),
        });
        res.end(s3ErrorXml(failure, requestId));
    };
}
