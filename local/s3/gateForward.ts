// How the gate hands a request on to s3rver and s3rver's answer back to the client.
import * as http from "http";
import { pipeline } from "stream/promises";
import { s3ErrorXml, s3Failure } from "./s3Failure";

/** What the gate sends s3rver in place of the request's own body and headers. */
export interface Rewrite {
    body?: Buffer;
    headers?: Record<string, string>;
}

/**
 * Sends the request on to s3rver (the rewritten body, else the request streamed) and its answer back. afterSuccess
 * runs before the answer is passed on, so a client that reads the answer sees its consequences (variants gone).
 * s3rver's Location (on a POST upload) names its private port: the client gets the gate's address instead.
 */
export function forward(
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
