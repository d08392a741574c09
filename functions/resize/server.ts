// The Resizer as an HTTP server, for the container runtime (ECS Fargate behind an ALB): the same handler Lambda
// runs, reached through the same Node HTTP ⇄ API Gateway payload 2.0 conversions local mode uses. No second
// implementation of resizing; this file only adds what a long-running process needs: a health route for the
// target group, and a graceful stop that finishes the resizes in flight.
import * as http from "http";
import { errorJson, HttpEvent, HttpResult, internalErrorResult, jsonResult } from "../shared/http";
import { createLog, LineSink } from "../shared/structuredLog";
import { readRequestBody, sendHttpResult, toHttpEvent } from "../shared/httpEvent";

/** The target group's health check path (infra/resize/containerService.ts uses the same constant). */
export const HEALTH_PATH = "/healthz";
/** The Resizer takes GET and HEAD only: a body is never needed, so a large one is refused before it is buffered. */
const MAX_BODY_BYTES = 64 * 1024;
/**
 * Longer than the ALB's idle timeout (60 s by default), so the load balancer, not this server, closes idle
 * connections: otherwise the ALB may send a request on a connection this side is closing, and answers 502
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html,
 * "Connection idle timeout").
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface ResizeServerOptions {
    handler: (event: HttpEvent) => Promise<HttpResult>;
    /** Where the server's JSON lines go (functions/shared/structuredLog.ts); stdout when absent. */
    log?: LineSink;
}

export interface ResizeServer {
    server: http.Server;
    /** Requests being answered now (the health route excluded). */
    inFlight(): number;
    /**
     * Stops accepting connections, answers the health route 503 on connections still open, closes idle
     * keep-alive connections, and resolves once every request in flight has been answered and every connection
     * closed. ECS sends SIGTERM after the ALB has stopped routing to the task, then SIGKILL after stopTimeout
     * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/load-balancer-connection-draining.html).
     */
    shutdown(): Promise<void>;
}

export function createResizeServer(options: ResizeServerOptions): ResizeServer {
    const log = createLog("resize-server", { sink: options.log });
    const server = http.createServer();
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000; // Node requires headersTimeout > keepAliveTimeout
    let inFlight = 0;
    let draining = false;
    let drained: (() => void) | undefined;

    const settleIfDrained = () => {
        if (draining && inFlight === 0 && drained) {
            server.closeAllConnections();
            drained();
            drained = undefined;
        }
    };

    async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const [rawPath, query = ""] = (req.url ?? "/").split(/\?(.*)/s, 2);
        // While draining, every answer asks the peer to close, so keep-alive connections end with it.
        const closing: Record<string, string> = draining ? { connection: "close" } : {};
        if (rawPath === HEALTH_PATH) {
            const result = draining
                ? errorJson(503, "shutting_down", "This task is shutting down")
                : jsonResult(200, { status: "ok" });
            sendHttpResult(res, result, closing, req.method === "HEAD");
            return;
        }
        const started = Date.now();
        const body = await readRequestBody(req, MAX_BODY_BYTES);
        if (!body) {
            sendHttpResult(res, errorJson(413, "body_too_large", "Request body too large"), closing);
            // Refused before the handler, which writes every other request's line: this one's line is here.
            const path = rawPath.slice(0, 200);
            log({
                message: "request",
                method: req.method,
                path,
                status: 413,
                outcome: "body_too_large",
                ms: Date.now() - started,
            });
            return;
        }
        const result = await options.handler(toHttpEvent(req, rawPath || "/", query, body, {}));
        sendHttpResult(res, result, draining ? { connection: "close" } : {}, req.method === "HEAD");
    }

    // The listener's promise is always observed: a failure (a socket gone, a client that stopped mid-body) ends
    // that one response, never the process, and never leaves the in-flight count too high to drain.
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
        const counted = req.url?.split("?", 1)[0] !== HEALTH_PATH;
        if (counted) inFlight++;
        serve(req, res)
            .catch((error) => {
                log({
                    level: "error",
                    message: "could not answer",
                    error: String((error as Error)?.message ?? error).slice(0, 300),
                });
                if (!res.headersSent && !res.destroyed) sendHttpResult(res, internalErrorResult());
                else res.destroy();
            })
            .finally(() => {
                if (counted) inFlight--;
                settleIfDrained();
            });
    });

    return {
        server,
        inFlight: () => inFlight,
        shutdown() {
            if (draining) return Promise.reject(new Error("The server is already shutting down"));
            draining = true;
            log({ level: "info", message: "draining", inFlight });
            return new Promise<void>((resolve) => {
                let closed = false;
                let idle = false;
                const done = () => {
                    if (closed && idle) resolve();
                };
                server.close(() => {
                    closed = true;
                    done();
                });
                server.closeIdleConnections();
                drained = () => {
                    idle = true;
                    done();
                };
                settleIfDrained();
            });
        },
    };
}
