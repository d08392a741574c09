// The Resizer: makes a missing variant from its original, stores it, and answers it (CloudFront failover,
// path /<W>x<H>/uploads/...) or redirects to it on the CDN (GET /resize?key=..., the seed-article flow).
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { answerAndLog, HttpError, HttpEvent, HttpResult, jsonResult } from "./http";
import { envReader } from "./envSettings";
import { isImageContentType } from "./imageTypes";
import { renderVariant, ResizeFit } from "./renderVariant";
import { keyFromPath } from "./objectKey";
import { parseVariantKey, VariantRequest } from "./variantKey";

export interface ResizeSettings {
    bucket: string;
    uploadPrefix: string;
    allowedResolutions: string[];
    maxDimension: number;
    fit: ResizeFit;
    quality: number;
    limitInputPixels: number;
    /** CDN base URL for /resize redirects when the request does not carry one (stage variable cdnUrl). */
    cdnUrl?: string;
}

export interface ResizeDependencies {
    s3: S3Client;
    settings: ResizeSettings;
    log?: (line: string) => void;
}

export const RESIZE_ENV = {
    bucket: "BUCKET_NAME",
    uploadPrefix: "UPLOAD_PREFIX",
    allowedResolutions: "ALLOWED_RESOLUTIONS",
    maxDimension: "MAX_RESIZE_DIMENSION",
    fit: "RESIZE_FIT",
    quality: "RESIZE_QUALITY",
    limitInputPixels: "LIMIT_INPUT_PIXELS",
    cdnUrl: "CDN_URL",
} as const;

export const VARIANT_CACHE_CONTROL = "public, max-age=31536000, immutable";
/** Lambda answers at most 6 MB, base64 and JSON envelope included: leave room for headers. */
export const MAX_INLINE_BASE64_BYTES = 5_500_000;
/** Originals larger than this are not downloaded into the function at all. */
const MAX_ORIGINAL_BYTES = 64 * 1024 * 1024;

export function resizeSettingsFromEnv(env: Record<string, string | undefined>): ResizeSettings {
    const { required, positive, list } = envReader(env);
    const fit = required(RESIZE_ENV.fit);
    if (fit !== "cover" && fit !== "contain" && fit !== "inside") throw new Error(`${RESIZE_ENV.fit} must be cover, contain or inside`);
    return {
        bucket: required(RESIZE_ENV.bucket),
        uploadPrefix: required(RESIZE_ENV.uploadPrefix),
        allowedResolutions: list(RESIZE_ENV.allowedResolutions),
        maxDimension: positive(RESIZE_ENV.maxDimension),
        fit,
        quality: positive(RESIZE_ENV.quality),
        limitInputPixels: positive(RESIZE_ENV.limitInputPixels),
        cdnUrl: env[RESIZE_ENV.cdnUrl] || undefined,
    };
}

interface StoredImage {
    bytes: Buffer;
    contentType: string;
}

export function createResizeHandler(deps: ResizeDependencies): (event: HttpEvent) => Promise<HttpResult> {
    const { s3, settings } = deps;

    /** The object, or undefined when missing. Without s3:ListBucket, S3 answers a missing key with 403. */
    async function read(key: string, abortSignal?: AbortSignal): Promise<StoredImage | undefined> {
        try {
            const object = await s3.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key }), { abortSignal });
            if ((object.ContentLength ?? 0) > MAX_ORIGINAL_BYTES) {
                (object.Body as { destroy?: () => void } | undefined)?.destroy?.(); // not read: release the connection
                throw new HttpError(422, "unprocessable_image", `The original is larger than ${MAX_ORIGINAL_BYTES} bytes`);
            }
            const array = await object.Body!.transformToByteArray();
            const bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength); // a view, not a copy
            return { bytes, contentType: object.ContentType ?? "application/octet-stream" };
        } catch (error) {
            const name = (error as { name?: string }).name;
            if (name === "NoSuchKey" || name === "NotFound" || name === "AccessDenied" || name === "AbortError") return undefined;
            throw error;
        }
    }

    /** The variant, from storage when it is already there, else made from the original and stored. */
    async function variant(request: VariantRequest): Promise<StoredImage & { made: boolean }> {
        // Both reads at once: a miss (the usual case behind CloudFront) then costs no extra round trip.
        const abortOriginal = new AbortController();
        const pendingOriginal = read(request.originalKey, abortOriginal.signal);
        // Observed at once: it may reject (S3 InternalError, a dropped connection) while the variant read is
        // still awaited, and a rejection nobody observes ends the Node process (the Lambda runtime, npm start).
        // It is awaited again below, so its failure still decides the answer.
        pendingOriginal.catch(() => undefined);
        const dropOriginal = async () => {
            abortOriginal.abort();
            await pendingOriginal.catch(() => undefined); // never left to reject unhandled (that ends a Lambda process)
        };
        const stored = await read(request.variantKey).catch(async (error) => {
            await dropOriginal();
            throw error;
        });
        if (stored && isImageContentType(stored.contentType)) {
            await dropOriginal();
            return { ...stored, made: false };
        }
        const original = await pendingOriginal;
        if (!original) throw new HttpError(404, "original_not_found", "The original image does not exist");
        const rendered = await renderVariant(original.bytes, {
            width: request.width, height: request.height, fit: settings.fit,
            quality: settings.quality, limitInputPixels: settings.limitInputPixels,
        });
        await s3.send(new PutObjectCommand({
            Bucket: settings.bucket,
            Key: request.variantKey,
            Body: rendered.bytes,
            ContentType: rendered.contentType,
            CacheControl: VARIANT_CACHE_CONTROL,
        }));
        return { bytes: rendered.bytes, contentType: rendered.contentType, made: true };
    }

    async function route(event: HttpEvent): Promise<{ result: HttpResult; key: string; made: boolean }> {
        const method = event.requestContext.http.method.toUpperCase();
        if (method !== "GET" && method !== "HEAD") {
            throw new HttpError(405, "method_not_allowed", "Method not allowed; use GET or HEAD", { allow: "GET, HEAD" });
        }
        if (event.rawPath === "/resize") {
            const key = event.queryStringParameters?.key ?? new URLSearchParams(event.rawQueryString ?? "").get("key");
            if (!key) throw new HttpError(400, "invalid_key", "Send the variant key as ?key=300x300/uploads/<id>.jpg");
            const cdnUrl = event.stageVariables?.cdnUrl ?? settings.cdnUrl;
            if (!cdnUrl) throw new HttpError(500, "not_configured", "The CDN URL is not configured");
            const made = (await variant(parseVariantKey(key, rulesOf(settings)))).made;
            return { key, made, result: redirect(`${cdnUrl.replace(/\/+$/, "")}/${encodeKey(key)}`) };
        }
        const key = keyFromPath(event.rawPath);
        const image = await variant(parseVariantKey(key, rulesOf(settings)));
        const headers = { "content-type": image.contentType, "cache-control": VARIANT_CACHE_CONTROL, "x-variant": image.made ? "resized" : "stored" };
        const body = image.bytes.toString("base64");
        if (body.length > MAX_INLINE_BASE64_BYTES) {
            // Stored already: the same URL is now served from the bucket.
            return { key, made: image.made, result: redirect(`/${encodeKey(key)}`) };
        }
        return {
            key,
            made: image.made,
            result: method === "HEAD"
                ? { statusCode: 200, headers: { ...headers, "content-length": String(image.bytes.length) }, body: "" }
                : { statusCode: 200, headers, body, isBase64Encoded: true },
        };
    }

    return (event) => answerAndLog(event, deps.log, async () => {
        const { result, key, made } = await route(event);
        return { result, logFields: { key, resized: made } };
    });
}

function rulesOf(settings: ResizeSettings) {
    return { uploadPrefix: settings.uploadPrefix, allowedResolutions: settings.allowedResolutions, maxDimension: settings.maxDimension };
}

/** A temporary redirect nobody caches: the target is what gets cached. */
function redirect(location: string): HttpResult {
    return jsonResult(307, { location }, { location });
}

function encodeKey(key: string): string {
    return key.split("/").map(encodeURIComponent).join("/");
}
