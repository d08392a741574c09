// Signs browser uploads straight to S3: a presigned PUT (Content-Type pinned) or a presigned POST (size capped).
// Plain logic with the S3 client injected: the Lambda (a serialized closure) and local mode both call it.
import { createHash, randomUUID } from "crypto";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { answerAndLog, headerValue, HttpError, HttpEvent, HttpResult, jsonResult } from "../shared/http";
import { contentTypeForExtension, IMAGE_EXTENSIONS, ImageContentType, isImageContentType } from "../shared/imageTypes";
import type { PresignSettings } from "./settings";
import { quoteInput } from "../shared/quoteInput";
import { statusKey, UPLOAD_UUID_PATTERN, uploadKeys } from "../shared/bucketLayout";
import type { UploadStatus } from "../shared/uploadStatus";
import { readStatus as readStoredStatus } from "../shared/statusStore";
import { statusAsOf } from "../ingest/retryPolicy";
import { companionRoutes } from "./companionRoutes";
import type { GrantKeySource } from "./grantKey";
import { grantRoutes } from "./grantRoutes";
import { GRANT_PATH, redactGrant } from "./uploadGrant";

export interface PresignDependencies {
    s3: S3Client;
    settings: PresignSettings;
    now?: () => number;
    newId?: () => string;
    log?: (line: string) => void;
    /** Signs upload grants (POST /uploads/grant, functions/presign/grantRoutes.ts); needed with requireAuth. */
    grantKey?: GrantKeySource;
}

const MAX_BODY_BYTES = 1024;
const BODY_FIELDS = ["contentType", "extension", "size"];
/** The seed-article GET flow declares its size in this header (it sends no body). */
export const DECLARED_SIZE_HEADER = "x-content-length";
const TYPE_ALIASES: Record<string, ImageContentType> = { "image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg" };

export function createPresignHandler(deps: PresignDependencies): (event: HttpEvent) => Promise<HttpResult> {
    const { s3, settings } = deps;
    const now = deps.now ?? Date.now;
    const newId = deps.newId ?? randomUUID;
    // POST /uploads/grant and the routes under a grant (functions/presign/grantRoutes.ts).
    const grants = grantRoutes({ settings, now, grantKey: deps.grantKey, ownerSegment });

    async function signPut(contentType: ImageContentType, size: number | undefined, event: HttpEvent) {
        if (size === undefined && settings.requireUploadSize) {
            throw new HttpError(
                400,
                "missing_size",
                `Declare the file's byte size (1 to ${settings.maxUploadBytes}): "size" in the JSON body, or the ${DECLARED_SIZE_HEADER} header`,
            );
        }
        const { signedKey, key, statusUrl } = newUpload(contentType, event);
        const signedAt = now();
        const uploadUrl = await getSignedUrl(
            s3,
            new PutObjectCommand({
                Bucket: settings.bucket,
                Key: signedKey,
                ContentType: contentType,
                ContentLength: size,
                // Create only: S3 answers 412 if the key exists (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
                IfNoneMatch: "*",
            }),
            {
                expiresIn: settings.expiresIn,
                signingDate: new Date(signedAt),
                // The presigner never signs Content-Type unless it is listed here (S3RequestPresigner puts it in
                // unsignableHeaders); If-None-Match and Content-Length are signed anyway because the command sets
                // them, and are listed so this set names all the URL pins. S3 then refuses another type, another
                // length (a signed Content-Length caps the size exactly) and a PUT without If-None-Match.
                signableHeaders: new Set([
                    "content-type",
                    "if-none-match",
                    ...(size === undefined ? [] : ["content-length"]),
                ]),
            },
        );
        const headers: Record<string, string> = { "Content-Type": contentType, "If-None-Match": "*" };
        if (size !== undefined) headers["Content-Length"] = String(size);
        return { key, statusUrl, uploadUrl, headers, expiresAt: expiry(signedAt) };
    }

    async function signPost(contentType: ImageContentType, event: HttpEvent) {
        const { signedKey, key, statusUrl } = newUpload(contentType, event);
        const signedAt = now();
        const { url, fields } = await createPresignedPost(s3, {
            Bucket: settings.bucket,
            Key: signedKey,
            // Fields become exact-match conditions too: the Content-Type and the 201 answer are pinned.
            Fields: { "Content-Type": contentType, success_action_status: "201" },
            Conditions: [["content-length-range", 1, settings.maxUploadBytes]],
            Expires: settings.expiresIn,
        });
        return {
            key,
            statusUrl,
            uploadUrl: url,
            fields,
            maxBytes: settings.maxUploadBytes,
            expiresAt: expiry(signedAt),
        };
    }

    function expiry(signedAt: number): string {
        return new Date(signedAt + settings.expiresIn * 1000).toISOString();
    }

    /**
     * A new upload: the key it is signed for (under the staging prefix), the key the checked original will have
     * (uploads/<id>.<ext>, what answers name) and where its status is read (GET <api>/uploads/<uuid>). The API's
     * URL comes from the stage (stage variable apiUrl); without one the status URL is the API-relative path.
     */
    function newUpload(contentType: ImageContentType, event: HttpEvent) {
        const uuid = newId();
        const keys = uploadKeys(`${ownerSegment(event)}${uuid}`, IMAGE_EXTENSIONS[contentType]);
        const apiUrl = (event.stageVariables?.apiUrl ?? "").replace(/\/+$/, "");
        return {
            signedKey: `${settings.uploadPrefix}${keys.id}.${keys.extension}`,
            key: keys.finalKey,
            statusUrl: `${apiUrl}/uploads/${uuid}`,
        };
    }

    function ownerSegment(event: HttpEvent): string {
        if (!settings.requireAuth) return "";
        const granted = grants.ownerOf(event); // a request under a verified upload grant
        if (granted !== undefined) return granted;
        const sub = event.requestContext.authorizer?.jwt?.claims?.sub;
        if (typeof sub !== "string" || sub === "") {
            throw new HttpError(401, "unauthorized", "A valid JWT with a subject is required");
        }
        return `${sanitizeSubject(sub)}/`;
    }

    /** A declared size within 1..maxUploadBytes, or undefined when none was declared. */
    function checkedSize(size: number | undefined): number | undefined {
        if (size !== undefined && size > settings.maxUploadBytes) {
            throw new HttpError(
                400,
                "too_large",
                `The file is ${size} bytes; at most ${settings.maxUploadBytes} bytes may be uploaded`,
            );
        }
        return size;
    }

    function allowed(contentType: ImageContentType): ImageContentType {
        if (!settings.allowedContentTypes.includes(contentType)) {
            throw new HttpError(
                400,
                "type_not_allowed",
                `Content type ${contentType} is not allowed; allowed: ${settings.allowedContentTypes.join(", ")}`,
            );
        }
        return contentType;
    }

    /**
     * An upload's status object (status/<id>.json, written by the ingest function). With auth the id is the
     * caller's own: the owner segment comes from the JWT, never from the path. The role may list status/, so S3
     * answers a missing object 404 NoSuchKey (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html,
     * "Permissions"); AccessDenied is a misconfiguration, never an unknown upload. A status pending past ingest's
     * retry window is answered failed, the second line of defence (statusAsOf, functions/ingest/retryPolicy.ts).
     */
    async function readStatus(uuid: string, event: HttpEvent): Promise<UploadStatus> {
        if (!UPLOAD_UUID_PATTERN.test(uuid))
            throw new HttpError(400, "invalid_id", "The upload id is not one this API hands out (a lower-case uuid)");
        const key = statusKey(`${ownerSegment(event)}${uuid}`);
        const stored = await readStoredStatus(s3, settings.bucket, key).catch((error: unknown) => {
            if ((error as { name?: string }).name === "AccessDenied")
                throw new HttpError(500, "misconfigured", "The status storage refused access; check the API's role");
            throw error;
        });
        if (!stored) throw new HttpError(404, "unknown_upload", "No upload with this id (yet)");
        return statusAsOf(stored, now());
    }

    // Uppy's S3 plugin (companionEndpoint): the same rules as the routes below (functions/presign/companionRoutes.ts).
    const companion = companionRoutes({
        s3,
        settings,
        now,
        allowedType(value) {
            if (typeof value !== "string" || value === "")
                throw new HttpError(400, "missing_type", 'Send the file\'s type, such as "image/png"');
            return allowed(typeForContentType(value));
        },
        checkedSize(size, required) {
            if (required && size === undefined && settings.requireUploadSize)
                throw new HttpError(
                    400,
                    "missing_size",
                    `Declare the file's byte size (1 to ${settings.maxUploadBytes}) as metadata.size`,
                );
            return checkedSize(size);
        },
        newUpload,
        signPost,
        ownerSegment,
        parseBody,
    });

    async function route(event: HttpEvent): Promise<{ status: number; body: Record<string, unknown> | unknown[] }> {
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
        if (path === "/uploads") {
            if (method === "POST") {
                const body = uploadRequestFromBody(event);
                const signed = await signPut(allowed(body.contentType), checkedSize(body.size), event);
                return { status: 200, body: { ...signed, method: "PUT", url: `${settings.cdnUrl}/${signed.key}` } };
            }
            if (method === "GET") {
                // The client of seed article 000: type from the x-extension header, answer { presignedUrl, key }.
                const extension = headerValue(event, "x-extension");
                if (!extension)
                    throw new HttpError(400, "missing_type", "Send the file extension in the x-extension header");
                const signed = await signPut(
                    allowed(typeForExtension(extension)),
                    checkedSize(sizeFromHeader(event)),
                    event,
                );
                return {
                    status: 200,
                    body: {
                        presignedUrl: signed.uploadUrl,
                        key: signed.key,
                        statusUrl: signed.statusUrl,
                        headers: signed.headers,
                        expiresAt: signed.expiresAt,
                        url: `${settings.cdnUrl}/${signed.key}`,
                    },
                };
            }
            throw methodNotAllowed("GET, POST");
        }
        if (path === "/uploads/form") {
            if (method !== "POST") throw methodNotAllowed("POST");
            const body = uploadRequestFromBody(event);
            checkedSize(body.size); // the policy's content-length-range caps the size either way
            const signed = await signPost(allowed(body.contentType), event);
            return { status: 200, body: { ...signed, url: `${settings.cdnUrl}/${signed.key}` } };
        }
        if (method === "GET" && path.startsWith("/uploads/") && !path.slice("/uploads/".length).includes("/")) {
            const status = await readStatus(path.slice("/uploads/".length), event);
            return { status: 200, body: status as unknown as Record<string, unknown> };
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
        answerAndLog({ ...event, rawPath: redactGrant(event.rawPath) }, deps.log, async () => {
            const { status, body } = await route(event);
            const result = status === 204 ? { statusCode: 204, headers: {}, body: "" } : jsonResult(status, body);
            return { result, logFields: { key: Array.isArray(body) ? undefined : body.key } };
        });
}

function methodNotAllowed(allow: string): HttpError {
    return new HttpError(405, "method_not_allowed", `Method not allowed; use ${allow}`, { allow });
}

function typeForExtension(extension: string): ImageContentType {
    const type = contentTypeForExtension(extension);
    if (!type) throw new HttpError(400, "unknown_extension", `Unknown image extension ${quoteInput(extension)}`);
    return type;
}

/** A byte count: a whole number of at least 1 (JSON numbers only; "12" or 1.5 are refused). */
function declaredSize(value: unknown, where: string): number {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
        throw new HttpError(
            400,
            "invalid_size",
            `${where} must be the file's size in bytes, a whole number of at least 1`,
        );
    }
    return value;
}

function sizeFromHeader(event: HttpEvent): number | undefined {
    const value = headerValue(event, DECLARED_SIZE_HEADER);
    if (value === undefined) return undefined;
    const text = value.trim();
    return declaredSize(/^\d{1,16}$/.test(text) ? Number(text) : NaN, `The ${DECLARED_SIZE_HEADER} header`);
}

function uploadRequestFromBody(event: HttpEvent): { contentType: ImageContentType; size?: number } {
    const body = parseBody(event);
    const unknownFields = Object.keys(body).filter((field) => !BODY_FIELDS.includes(field));
    if (unknownFields.length > 0) {
        throw new HttpError(
            400,
            "unknown_field",
            `Unknown field ${quoteInput(unknownFields[0])}; send contentType or extension, and size`,
        );
    }
    const size = body.size === undefined ? undefined : declaredSize(body.size, "size");
    return { contentType: contentTypeFromBody(body), size };
}

function contentTypeFromBody(body: Record<string, unknown>): ImageContentType {
    const { contentType, extension } = body;
    if (contentType !== undefined && typeof contentType !== "string") {
        throw new HttpError(400, "invalid_body", 'contentType must be a string such as "image/png"');
    }
    if (extension !== undefined && typeof extension !== "string") {
        throw new HttpError(400, "invalid_body", 'extension must be a string such as "png"');
    }
    const fromType = contentType === undefined ? undefined : typeForContentType(contentType);
    const fromExtension = extension === undefined ? undefined : typeForExtension(extension);
    if (fromType && fromExtension && fromType !== fromExtension) {
        throw new HttpError(
            400,
            "type_mismatch",
            `contentType ${fromType} does not match extension ${quoteInput(extension)}`,
        );
    }
    const type = fromType ?? fromExtension;
    if (!type)
        throw new HttpError(400, "missing_type", 'Send { "contentType": "image/png" } or { "extension": "png" }');
    return type;
}

function typeForContentType(contentType: string): ImageContentType {
    const normalized = contentType.trim().toLowerCase();
    const type = TYPE_ALIASES[normalized] ?? normalized;
    if (!isImageContentType(type))
        throw new HttpError(400, "unknown_type", `Unknown image content type ${quoteInput(contentType)}`);
    return type;
}

function parseBody(event: HttpEvent, maxBytes = MAX_BODY_BYTES): Record<string, unknown> {
    const raw = event.body ?? "";
    const text = event.isBase64Encoded ? Buffer.from(raw, "base64").toString("utf8") : raw;
    if (Buffer.byteLength(text) > maxBytes) {
        throw new HttpError(400, "body_too_large", `The JSON body must be at most ${maxBytes} bytes`);
    }
    if (text.trim() === "") {
        throw new HttpError(400, "invalid_body", 'Send a JSON body such as { "contentType": "image/png" }');
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        throw new HttpError(400, "invalid_json", "The body is not valid JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new HttpError(400, "invalid_body", "The body must be a JSON object");
    }
    return parsed as Record<string, unknown>;
}

/**
 * A JWT subject as one key segment: letters, digits, _ and - stay, any other byte becomes .XX (upper-case hex),
 * so two different subjects never share a prefix ("auth0|a" → "auth0.7Ca"). A very long subject becomes
 * h.<sha256 in lower-case hex>, which the escaping above can never produce.
 */
export function sanitizeSubject(sub: string): string {
    const escaped = Array.from(Buffer.from(sub, "utf8"), (byte) => {
        const char = String.fromCharCode(byte);
        return /[A-Za-z0-9_-]/.test(char) ? char : `.${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }).join("");
    return escaped.length <= 200 ? escaped : `h.${createHash("sha256").update(sub).digest("hex")}`;
}
