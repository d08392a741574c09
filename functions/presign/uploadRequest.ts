// What a caller asks to upload, read from its request and held to the API's limits: the one set of parsing rules
// and limits the signing routes share (/uploads: uploadRoutes.ts; Uppy's /s3: companionRoutes.ts). Every refusal
// is a 400 naming what to send; input is quoted, never echoed raw.
import { headerValue, HttpError, HttpEvent } from "../shared/http";
import { contentTypeForExtension, ImageContentType, isImageContentType } from "../shared/imageTypes";
import { quoteInput } from "../shared/quoteInput";
import { FocalPoint, focusFromBody } from "../shared/focalPoint";
import type { PresignSettings } from "./settings";

/** The seed-article GET flow declares its size in this header (it sends no body). */
export const DECLARED_SIZE_HEADER = "x-content-length";
const MAX_BODY_BYTES = 1024;
const BODY_FIELDS = ["contentType", "extension", "size", "focus"];
const TYPE_ALIASES: Record<string, ImageContentType> = { "image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg" };

/** A JSON object body of at most maxBytes: 400 when empty, too large, not JSON or not an object. */
export function parseBody(event: HttpEvent, maxBytes = MAX_BODY_BYTES): Record<string, unknown> {
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
 * A byte count: a whole number of at least 1. JSON bodies give numbers ("12" and 1.5 are refused); where a size
 * arrives as text (a header, a query string, Uppy's metadata) `asText` also reads a string of digits.
 */
export function declaredSize(value: unknown, where = "size", asText = false): number {
    const number = asText && typeof value === "string" && /^\d{1,16}$/.test(value) ? Number(value) : value;
    if (typeof number !== "number" || !Number.isSafeInteger(number) || number < 1) {
        throw new HttpError(
            400,
            "invalid_size",
            `${where} must be the file's size in bytes, a whole number of at least 1`,
        );
    }
    return number;
}

/** The size declared in the x-content-length header; undefined without one. */
export function sizeFromHeader(event: HttpEvent): number | undefined {
    const value = headerValue(event, DECLARED_SIZE_HEADER);
    return value === undefined ? undefined : declaredSize(value.trim(), `The ${DECLARED_SIZE_HEADER} header`, true);
}

/** A content type by name, aliases read ("image/jpg"): 400 unknown_type for anything else. */
export function typeForContentType(contentType: string): ImageContentType {
    const normalized = contentType.trim().toLowerCase();
    const type = TYPE_ALIASES[normalized] ?? normalized;
    if (!isImageContentType(type))
        throw new HttpError(400, "unknown_type", `Unknown image content type ${quoteInput(contentType)}`);
    return type;
}

export function typeForExtension(extension: string): ImageContentType {
    const type = contentTypeForExtension(extension);
    if (!type) throw new HttpError(400, "unknown_extension", `Unknown image extension ${quoteInput(extension)}`);
    return type;
}

/** POST /uploads and /uploads/form: { contentType or extension, size?, focus? }, no other field. */
export function uploadRequestFromBody(event: HttpEvent): {
    contentType: ImageContentType;
    size?: number;
    focus?: FocalPoint;
} {
    const body = parseBody(event);
    const unknownFields = Object.keys(body).filter((field) => !BODY_FIELDS.includes(field));
    if (unknownFields.length > 0) {
        throw new HttpError(
            400,
            "unknown_field",
            `Unknown field ${quoteInput(unknownFields[0])}; send contentType or extension, and size (and focus)`,
        );
    }
    const size = body.size === undefined ? undefined : declaredSize(body.size);
    const focus = body.focus === undefined ? undefined : focusFromBody(body.focus);
    return { contentType: contentTypeFromBody(body), size, ...(focus ? { focus } : {}) };
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

/** The limits of the settings every signing route applies, whatever shape its request has. */
export interface UploadLimits {
    /** 400 type_not_allowed for a type outside allowedContentTypes. */
    allowed(contentType: ImageContentType): ImageContentType;
    /** A declared size within 1..maxUploadBytes (400 too_large over it), or undefined when none was declared. */
    checkedSize(size: number | undefined): number | undefined;
    /** With requireUploadSize, 400 missing_size when no size was declared; `how` tells the caller where to. */
    requireSize(size: number | undefined, how: string): void;
}

export function uploadLimits(settings: PresignSettings): UploadLimits {
    return {
        allowed(contentType) {
            if (!settings.allowedContentTypes.includes(contentType)) {
                throw new HttpError(
                    400,
                    "type_not_allowed",
                    `Content type ${contentType} is not allowed; allowed: ${settings.allowedContentTypes.join(", ")}`,
                );
            }
            return contentType;
        },
        checkedSize(size) {
            if (size !== undefined && size > settings.maxUploadBytes) {
                throw new HttpError(
                    400,
                    "too_large",
                    `The file is ${size} bytes; at most ${settings.maxUploadBytes} bytes may be uploaded`,
                );
            }
            return size;
        },
        requireSize(size, how) {
            if (size === undefined && settings.requireUploadSize) {
                throw new HttpError(
                    400,
                    "missing_size",
                    `Declare the file's byte size (1 to ${settings.maxUploadBytes})${how}`,
                );
            }
        },
    };
}
