// The upload API in local mode, as API Gateway's HTTP API serves it: CORS preflights answered with the stack's
// configuration, the JWT authorizer on the upload routes (with jwtIssuer), then the same handlers Lambda runs:
// GET /resize to the Resizer (none on a private stack), everything else to presign.
import * as http from "http";
import { API_CORS } from "../functions/shared/apiCors";
import { errorJson, HttpEvent, HttpResult, jsonResult } from "../functions/shared/http";
import { readRequestBody, sendHttpResult, toHttpEvent } from "../functions/shared/httpEvent";
import { matchesRoute, SIGNED_URL_ROUTE, UPLOAD_ROUTES } from "../functions/presign/apiRoutes";
import { authorizeJwt, unauthorizedResult } from "./jwtAuthorizer";
import { LocalAuth } from "./localAuth";

type HttpHandler = (event: HttpEvent) => Promise<HttpResult>;

export interface LocalApiOptions {
    corsOrigins: string[];
    /** The API stage variables of the stack: where the CDN is (Resizer redirects) and the API itself (status URLs). */
    cdnUrl: string;
    apiUrl: string;
    /** jwtIssuer: the local issuer and authorizer (local/localAuth.ts); none without it. */
    auth?: LocalAuth;
    presign: HttpHandler;
    /** Absent on a private stack, which makes no /resize route. */
    resize?: HttpHandler;
    /** privateDelivery: GET /uploads/{id}/url exists, behind the authorizer like the upload routes. */
    signedUrlRoute?: boolean;
}

/** Answers one API request (its path below /api) and resolves with the status sent. */
export function localApi(options: LocalApiOptions) {
    const { corsOrigins, auth } = options;
    const authorized = [...UPLOAD_ROUTES, ...(options.signedUrlRoute ? [SIGNED_URL_ROUTE] : [])];
    return async (req: http.IncomingMessage, res: http.ServerResponse, rawPath: string, query: string) => {
        const origin = req.headers.origin;
        const cors: Record<string, string> =
            origin && (corsOrigins.includes(origin) || corsOrigins.includes("*"))
                ? { "access-control-allow-origin": origin, vary: "Origin" }
                : {};
        if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
            // API Gateway answers CORS preflights itself, with the configuration the stack sets.
            res.writeHead(204, {
                ...cors,
                "access-control-allow-methods": API_CORS.allowMethods.join(", "),
                "access-control-allow-headers": API_CORS.allowHeaders.join(", "),
                "access-control-max-age": String(API_CORS.maxAgeSeconds),
            });
            res.end();
            return 204;
        }
        const body = await readRequestBody(req);
        if (!body) {
            sendHttpResult(res, errorJson(413, "body_too_large", "Request body too large"), cors);
            return 413;
        }
        const event = toHttpEvent(req, rawPath || "/", query, body, {
            cdnUrl: options.cdnUrl,
            apiUrl: options.apiUrl,
        });
        if (auth && authorized.some((route) => matchesRoute(route, req.method ?? "GET", rawPath))) {
            const verdict = authorizeJwt(auth.authorizer, req.headers.authorization);
            if ("denied" in verdict) {
                sendHttpResult(res, unauthorizedResult(verdict.denied), cors);
                return 401;
            }
            event.requestContext.authorizer = { jwt: { claims: verdict.claims } };
        }
        if (rawPath === "/resize" && !options.resize) {
            // API Gateway's answer to a path no route matches.
            sendHttpResult(res, jsonResult(404, { message: "Not Found" }), cors);
            return 404;
        }
        const result = await (rawPath === "/resize" && options.resize ? options.resize(event) : options.presign(event));
        sendHttpResult(res, result, cors, req.method === "HEAD");
        return result.statusCode;
    };
}
