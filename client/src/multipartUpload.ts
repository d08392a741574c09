// A multipart upload through the API's Companion-style routes (functions/presign/companionRoutes.ts; the protocol
// @uppy/aws-s3 speaks): create, sign and PUT each part, complete. A failure aborts the upload so S3 keeps no parts
// (the bucket's lifecycle rule would abort it a day later anyway).
import { callApi, send, store, UploadContext } from "./uploadRequests.js";
import { UploadError } from "./uploadError.js";

/** S3's smallest part but the last (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

interface Created {
    key: string;
    uploadId: string;
    statusUrl: string;
    /** The most part numbers the API signs for one upload. */
    maxParts: number;
}

/** Uploads `file` in parts; resolves with the upload's status URL. */
export async function multipartUpload(context: UploadContext, file: Blob, contentType: string): Promise<string> {
    const created = await callApi<Created>(context, "sign", "POST", `${context.apiUrl}/s3/multipart`, {
        type: contentType,
        metadata: { size: file.size },
    });
    const route = `${context.apiUrl}/s3/multipart/${encodeURIComponent(created.uploadId)}`;
    const query = new URLSearchParams({ key: created.key }).toString();
    const partBytes = Math.max(MIN_PART_BYTES, Math.ceil(file.size / Math.max(1, created.maxParts)));
    try {
        const parts: { PartNumber: number; ETag: string }[] = [];
        for (let start = 0, PartNumber = 1; start < file.size; start += partBytes, PartNumber++) {
            const { url } = await callApi<{ url: string }>(context, "sign", "GET", `${route}/${PartNumber}?${query}`);
            const response = await store(
                context,
                { method: "PUT", url, body: file.slice(start, start + partBytes) },
                start,
            );
            const ETag = response.header("etag");
            if (!ETag)
                throw new UploadError(
                    "store",
                    response.status,
                    "Storage answered a part without its ETag header; the bucket's CORS rule must expose ETag",
                    "missing_etag",
                );
            parts.push({ PartNumber, ETag });
        }
        await callApi(context, "sign", "POST", `${route}/complete?${query}`, { parts });
    } catch (error) {
        await abort(context, `${route}?${query}`);
        throw error;
    }
    return created.statusUrl;
}

/** Best effort: the upload's own failure is what the caller hears about, not the abort's. */
async function abort(context: UploadContext, url: string): Promise<void> {
    const headers = await context.apiHeaders().catch(() => ({}));
    await send({ ...context, signal: undefined }, "sign", { method: "DELETE", url, headers }).catch(() => undefined);
}
