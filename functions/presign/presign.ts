// The upload API's handler: routes each request to its module and answers in JSON, with one log line. Plain logic
// with the S3 client injected: the Lambda (a serialized closure) and local mode both call it.
//   POST /uploads, GET /uploads, POST /uploads/form   sign one upload (uploadRoutes.ts)
//   GET /uploads/<uuid>                              its status (uploadStatusRoute.ts)
//   GET /uploads/<uuid>/url                          a signed CDN URL, with privateDelivery (signedUrlRoute.ts)
//   POST /uploads/grant, /g/<grant>/s3/...           upload grants (grantRoutes.ts)
//   /s3/...                                          Uppy's S3 plugin (companionRoutes.ts)
// The routes share one set of request rules and limits (uploadRequest.ts), one signer (uploadSigning.ts) and one
// notion of the caller (uploadOwner.ts); none of them imports another.
import { randomUUID } from "crypto";
import type { S3Client } from "@aws-sdk/client-s3";
import {
    answerAndLog,
    HttpError,
    HttpEvent,
    HttpResult,
    jsonResult,
    methodNotAllowed,
    RouteAnswer,
} from "../shared/http";
import { createLog, LineSink, LogLevel } from "../shared/structuredLog";
import { companionRoutes } from "./companionRoutes";
import type { GrantKeySource } from "./grantKey";
import { grantRoutes } from "./grantRoutes";
import type { PresignSettings } from "./settings";
import { GRANT_PATH, redactGrant } from "./uploadGrant";
import { signedUrlRoute } from "./signedUrlRoute";
import type { SigningKeySource } from "./urlSigningKey";
import { ownerSegment } from "./uploadOwner";
import { uploadLimits } from "./uploadRequest";
import { uploadRoutes } from "./uploadRoutes";
import { uploadSigner } from "./uploadSigning";
import { uploadStatus } from "./uploadStatusRoute";

export interface PresignDependencies {
    s3: S3Client;
    settings: PresignSettings;
    now?: () => number;
    newId?: () => string;
    /** Where the JSON lines go (functions/shared/structuredLog.ts); stdout when absent. */
    log?: LineSink;
    logLevel?: LogLevel;
    /** Signs upload grants (POST /uploads/grant, functions/presign/grantRoutes.ts); needed with requireAuth. */
    grantKey?: GrantKeySource;
    /** Signs CDN URLs (GET /uploads/<uuid>/url, functions/presign/signedUrlRoute.ts); needed with urlSigning. */
    signingKey?: SigningKeySource;
}

/** GET /uploads/<uuid>/url (groups: the uuid). */
const SIGNED_URL_PATH = /^\/uploads\/([^/]+)\/url$/;

export function createPresignHandler(deps: PresignDependencies): (event: HttpEvent) => Promise<HttpResult> {
    const { s3, settings } = deps;
    const log = createLog("presign", { sink: deps.log, level: deps.logLevel });
    const now = deps.now ?? Date.now;
    const grants = grantRoutes({ settings, now, grantKey: deps.grantKey });
    // Under a verified upload grant the caller is the grant's owner; otherwise the JWT's subject.
    const owner = (event: HttpEvent) => ownerSegment(event, settings.requireAuth, grants.ownerOf(event));
    const limits = uploadLimits(settings);
    const signer = uploadSigner({ s3, settings, now, newId: deps.newId ?? randomUUID, ownerSegment: owner });
    const uploads = uploadRoutes({ settings, limits, signer });
    const companion = companionRoutes({ s3, settings, now, limits, signer, ownerSegment: owner });
    const signedUrl = signedUrlRoute({
        s3,
        bucket: settings.bucket,
        cdnUrl: settings.cdnUrl,
        now,
        urlSigning: settings.urlSigning,
        signingKey: deps.signingKey,
    });

    async function route(event: HttpEvent): Promise<RouteAnswer> {
        const method = event.requestContext.http.method.toUpperCase();
        const path = event.rawPath.length > 1 ? event.rawPath.replace(/\/$/, "") : event.rawPath;
        // CORS preflight: API Gateway normally answers it; should one reach the function, it must not fail.
        if (method === "OPTIONS") return { status: 204, body: {} };
        if (path.startsWith("/s3/")) return companion(event, method, path);
        if (path.startsWith(GRANT_PATH)) {
            const granted = await grants.open(event, path);
            return companion(granted.event, method, granted.path);
        }
        if (path === "/uploads/grant") {
            if (method !== "POST") throw methodNotAllowed("POST");
            return grants.issue(event);
        }
        if (path === "/uploads" || path === "/uploads/form") return uploads(event, method, path);
        if (method === "GET" && path.startsWith("/uploads/") && !path.slice("/uploads/".length).includes("/")) {
            const status = await uploadStatus(
                { s3, bucket: settings.bucket, now },
                path.slice("/uploads/".length),
                () => owner(event),
            );
            return { status: 200, body: status as unknown as Record<string, unknown> };
        }
        const signedUrlPath = SIGNED_URL_PATH.exec(path);
        if (signedUrlPath) {
            if (method !== "GET") throw methodNotAllowed("GET");
            return signedUrl(event, signedUrlPath[1], () => owner(event));
        }
        if (path.startsWith("/uploads/")) {
            throw new HttpError(
                400,
                "invalid_path",
                "Unexpected path segments after /uploads (keys are chosen by the server)",
            );
        }
        throw new HttpError(404, "not_found", "No such route; use POST /uploads, POST /uploads/form or GET /uploads");
    }

    // A grant in the path is a credential: the log line names the route without it.
    return (event) =>
        answerAndLog({ ...event, rawPath: redactGrant(event.rawPath) }, log, async () => {
            const { status, body } = await route(event);
            const result = status === 204 ? { statusCode: 204, headers: {}, body: "" } : jsonResult(status, body);
            const key = Array.isArray(body) || typeof body.key !== "string" ? undefined : body.key;
            return { result, logFields: { key } };
        });
}
