// The Resizer: makes a missing variant from its original, stores it, and answers it (CloudFront failover,
// path /<W>x<H>/uploads/...) or redirects to it on the CDN (GET /resize?key=..., the seed-article flow).
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { performance } from "perf_hooks";
import { answerAndLog, HttpError, HttpEvent, HttpResult, jsonResult } from "../shared/http";
import { createMetrics } from "../shared/pipelineMetrics";
import { createLog, LineSink, LogLevel, uploadIdOf } from "../shared/structuredLog";
import { isImageContentType } from "../shared/imageTypes";
import { renderVariant, useThreads } from "./renderVariant";
import { FOCUS_METADATA, FocalPoint, parseFocus } from "../shared/focalPoint";
import { cdnPathOf, keyFromPath } from "../shared/objectKey";
import { CACHE_TAG_HEADER, cacheTagOf } from "../shared/cacheTag";
import { originalVersionOf } from "../shared/originalVersion";
import { putVariantCommand, VARIANT_CACHE_CONTROL } from "./storeVariant";
import { parseVariantKey, VariantRequest } from "./variantKey";
import type { ResizeSettings } from "./settings";

export interface ResizeDependencies {
    s3: S3Client;
    settings: ResizeSettings;
    /** Where the JSON lines and metric lines go (functions/shared/structuredLog.ts); stdout when absent. */
    log?: LineSink;
    logLevel?: LogLevel;
    /** Larger variants are answered with a redirect to the stored copy. Lambda: MAX_INLINE_BASE64_BYTES (its 6 MB
     *  answer limit); the container server (functions/resize/server.ts) has no such limit and passes Infinity. */
    maxInlineBase64Bytes?: number;
}

export { VARIANT_CACHE_CONTROL };
/** Lambda answers at most 6 MB, base64 and JSON envelope included: leave room for headers. */
export const MAX_INLINE_BASE64_BYTES = 5_500_000;
/**
 * The 307 to a stored variant behind signed URLs (privateDelivery). A path ("/300x300/uploads/...") would drop
 * the viewer's query string, and a signed URL's signature with it: CloudFront forwards no query string here (the
 * cache policy keeps none), so the Resizer never sees it. A reference with neither path nor query keeps the base
 * URL's path and query (RFC 3986, section 5.2.2: T.query = Base.query), so the browser asks again with the same
 * signed URL and gets the stored variant from the bucket.
 */
export const SAME_URL_KEEPING_QUERY = "#";
/** Originals larger than this are not downloaded into the function at all. */
export const MAX_ORIGINAL_BYTES = 64 * 1024 * 1024;

interface StoredImage {
    bytes: Buffer;
    contentType: string;
    /** Which version of an original these bytes are (functions/shared/originalVersion.ts). */
    version: string;
    /** The original's focal point, kept by ingest from the upload (functions/shared/focalPoint.ts). */
    focus?: FocalPoint;
}

export function createResizeHandler(deps: ResizeDependencies): (event: HttpEvent) => Promise<HttpResult> {
    const { s3, settings } = deps;
    const maxInlineBase64Bytes = deps.maxInlineBase64Bytes ?? MAX_INLINE_BASE64_BYTES;
    const log = createLog("resize", { sink: deps.log, level: deps.logLevel });
    const metrics = createMetrics(settings.metricsNamespace, "resize", deps.log);
    if (settings.threads !== undefined) useThreads(settings.threads);

    /**
     * The object, or undefined when missing. The role may list the prefixes it reads, so S3 answers a missing key
     * 404 NoSuchKey (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"); an
     * AccessDenied is then a refusal (role, bucket or KMS key policy), never a missing image.
     */
    async function read(key: string, abortSignal?: AbortSignal): Promise<StoredImage | undefined> {
        try {
            const object = await s3.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key }), { abortSignal });
            if ((object.ContentLength ?? 0) > MAX_ORIGINAL_BYTES) {
                (object.Body as { destroy?: () => void } | undefined)?.destroy?.(); // not read: release the connection
                throw new HttpError(
                    422,
                    "unprocessable_image",
                    `The original is larger than ${MAX_ORIGINAL_BYTES} bytes`,
                );
            }
            const array = await object.Body!.transformToByteArray();
            const bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength); // a view, not a copy
            return {
                bytes,
                contentType: object.ContentType ?? "application/octet-stream",
                version: originalVersionOf(object),
                focus: parseFocus(object.Metadata?.[FOCUS_METADATA]),
            };
        } catch (error) {
            const name = (error as { name?: string }).name;
            if (name === "NoSuchKey" || name === "NotFound" || name === "AbortError") return undefined;
            if (name === "AccessDenied") {
                // also what S3 answers when the KMS key policy refuses
                log({ level: "error", message: "storage refused a read", error: name, key: key.slice(0, 200) });
                throw new HttpError(
                    500,
                    "misconfigured",
                    "The image storage refused access; the operator must check the Resizer's permissions",
                );
            }
            throw error;
        }
    }

    /** The variant, from storage when it is already there, else made from the original and stored. */
    async function variant(request: VariantRequest): Promise<StoredImage & { made: boolean }> {
        // Both reads at once: a miss (the usual case behind CloudFront) then costs no extra round trip.
        const abortOriginal = new AbortController();
        const readStarted = performance.now();
        let originalReadMs = 0;
        const pendingOriginal = read(request.originalKey, abortOriginal.signal).then((original) => {
            originalReadMs = Math.round(performance.now() - readStarted);
            return original;
        });
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
        metrics.add("OriginalReadMs", originalReadMs);
        const renderStarted = performance.now();
        const rendered = await renderVariant(original.bytes, {
            width: request.width,
            height: request.height,
            fit: settings.fit,
            gravity: settings.gravity,
            ...(original.focus ? { focus: original.focus } : {}),
            quality: settings.quality,
            limitInputPixels: settings.limitInputPixels,
            ...(request.format ? { format: request.format } : {}),
        });
        metrics.add("ResizeMs", Math.round(performance.now() - renderStarted));
        const source = { originalKey: request.originalKey, version: original.version };
        await s3.send(putVariantCommand(settings.bucket, request.variantKey, rendered, source));
        metrics.add("VariantsMade", 1, rendered.contentType.replace(/^image\//, ""));
        return { bytes: rendered.bytes, contentType: rendered.contentType, version: original.version, made: true };
    }

    async function route(event: HttpEvent): Promise<{ result: HttpResult; key: string; made: boolean }> {
        const method = event.requestContext.http.method.toUpperCase();
        if (method !== "GET" && method !== "HEAD") {
            throw new HttpError(405, "method_not_allowed", "Method not allowed; use GET or HEAD", {
                allow: "GET, HEAD",
            });
        }
        if (event.rawPath === "/resize") {
            const key = event.queryStringParameters?.key ?? new URLSearchParams(event.rawQueryString ?? "").get("key");
            if (!key) throw new HttpError(400, "invalid_key", "Send the variant key as ?key=300x300/uploads/<id>.jpg");
            const cdnUrl = event.stageVariables?.cdnUrl ?? settings.cdnUrl;
            if (!cdnUrl) throw new HttpError(500, "not_configured", "The CDN URL is not configured");
            const made = (await variant(parseVariantKey(key, rulesOf(settings)))).made;
            return { key, made, result: redirect(`${cdnUrl.replace(/\/+$/, "")}${cdnPathOf(key)}`) };
        }
        const key = keyFromPath(event.rawPath);
        const request = parseVariantKey(key, rulesOf(settings));
        const image = await variant(request);
        // CloudFront caches this answer too: it carries the image's cache tag as the stored variant does.
        const tag = cacheTagOf(request.originalKey);
        const headers = {
            "content-type": image.contentType,
            "cache-control": VARIANT_CACHE_CONTROL,
            "x-variant": image.made ? "resized" : "stored",
            ...(tag === undefined ? {} : { [CACHE_TAG_HEADER]: tag }),
        };
        const body = image.bytes.toString("base64");
        if (body.length > maxInlineBase64Bytes) {
            // Stored already: the same URL is now served from the bucket.
            const sameUrl = settings.privateDelivery ? SAME_URL_KEEPING_QUERY : cdnPathOf(key);
            return { key, made: image.made, result: redirect(sameUrl) };
        }
        return { key, made: image.made, result: { statusCode: 200, headers, body, isBase64Encoded: true } };
    }

    return async (event) => {
        let uploadId: string | undefined;
        const result = await answerAndLog(event, log, async () => {
            const { result, key, made } = await route(event);
            uploadId = uploadIdOf(key);
            return { result, logFields: { key, resized: made } };
        });
        metrics.flush({ uploadId });
        // HEAD: GET's status and headers, no body (RFC 9110 §9.3.2). No content-length of the GET body either:
        // the Function URL sends what it is given, and a length the empty body contradicts breaks the connection.
        return event.requestContext.http.method.toUpperCase() === "HEAD"
            ? { ...result, body: "", isBase64Encoded: false }
            : result;
    };
}

function rulesOf(settings: ResizeSettings) {
    return {
        uploadPrefix: settings.uploadPrefix,
        allowedResolutions: settings.allowedResolutions,
        maxDimension: settings.maxDimension,
        formats: settings.formats,
    };
}

/** A temporary redirect nobody caches: the target is what gets cached. */
function redirect(location: string): HttpResult {
    return jsonResult(307, { location }, { location });
}
