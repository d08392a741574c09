// upload(): the whole client side of an upload (docs/upload-api.md): ask the API to sign, send the bytes straight
// to storage (one presigned PUT or POST, or parts above a threshold), then read the upload's status until the
// server's check has decided. Resolves with the final status; rejects with an UploadError in the refuser's words.
import { defaultHttp, Http } from "./http.js";
import { MIN_PART_BYTES, multipartUpload } from "./multipartUpload.js";
import { checkedBaseUrl } from "./baseUrl.js";
import { refusal, UploadError } from "./uploadError.js";
import { ApiHeaders, apiHeadersOf, callApi, send, store, UploadContext } from "./uploadRequests.js";
import { FINAL_STATES, UploadStatus } from "./uploadStatus.js";

export type { ApiHeaders };

export interface UploadOptions {
    /** The upload API's base URL (the stack output uploadApiUrl, or a path such as "/api" on the same origin). */
    apiUrl: string;
    /** Headers for the API's requests only, e.g. `{ authorization: "Bearer <JWT>" }` with jwtIssuer; a function is
     *  called before each request (a token that renews). Never sent to storage. */
    headers?: ApiHeaders;
    /** Bytes of the file sent so far; called with `loaded === total` once storage has all of them. */
    onProgress?: (progress: { loaded: number; total: number }) => void;
    /** Aborts the upload (and stops waiting for its status); the promise rejects with the signal's reason. */
    signal?: AbortSignal;
    /** The file's type when the Blob has none (`file.type` otherwise). */
    contentType?: string;
    /** One presigned "put" (default; the declared size is signed in) or a presigned "post" form (size-capped by S3). */
    method?: "put" | "post";
    /** The subject's place for `cover` crops, x and y in 0..1 from the left and top edges (signed into the upload;
     *  docs/resizing-and-formats.md). The multipart routes take none, so a file with a focus never goes in parts. */
    focus?: { x: number; y: number };
    /** Files larger than this many bytes go up in parts (default 5 MiB, as the Uppy page; at least 5 MiB). */
    multipartThreshold?: number;
    /** Time between status reads (default 500 ms) and how many reads before giving up (default 240: two minutes). */
    statusPollMs?: number;
    statusPolls?: number;
    /** The I/O seam (default: fetch, and XMLHttpRequest for bodies in a browser, for progress). */
    http?: Http;
}

interface SignedUpload {
    key: string;
    statusUrl: string;
    uploadUrl: string;
    headers?: Record<string, string>;
    fields?: Record<string, string>;
}

/** Uploads `file` and resolves with its final status: ready, rejected (the check refused it) or failed. */
export async function upload(file: Blob, options: UploadOptions): Promise<UploadStatus> {
    const { apiUrl, contentType, method, threshold, focus } = checkedOptions(file, options);
    const signRequest = { contentType, size: file.size, ...(focus ? { focus } : {}) };
    options.signal?.throwIfAborted();
    let sent = 0;
    const context: UploadContext = {
        apiUrl,
        http: options.http ?? defaultHttp,
        signal: options.signal,
        apiHeaders: apiHeadersOf(options.headers),
        progress: (loaded) => {
            sent = Math.max(sent, Math.min(loaded, file.size));
            options.onProgress?.({ loaded: sent, total: file.size });
        },
    };
    let statusUrl: string;
    if (file.size > threshold && !focus) statusUrl = await multipartUpload(context, file, contentType);
    else if (method === "post") {
        const signed = await callApi<SignedUpload>(context, "sign", "POST", `${apiUrl}/uploads/form`, signRequest);
        const form = new FormData();
        for (const [name, value] of Object.entries(signed.fields ?? {})) form.append(name, value);
        form.append("file", file); // S3 reads the fields before the file: it goes last
        await store(context, { method: "POST", url: signed.uploadUrl, body: form }, 0);
        statusUrl = signed.statusUrl;
    } else {
        const signed = await callApi<SignedUpload>(context, "sign", "POST", `${apiUrl}/uploads`, signRequest);
        await store(context, { method: "PUT", url: signed.uploadUrl, headers: signed.headers, body: file }, 0);
        statusUrl = signed.statusUrl;
    }
    context.progress(file.size);
    return finalStatus(context, statusUrl, options.statusPollMs ?? 500, options.statusPolls ?? 240);
}

/** Reads the status until it is final. 404: the upload's event has not been handled yet. */
async function finalStatus(context: UploadContext, statusUrl: string, pollMs: number, polls: number) {
    for (let poll = 0; poll < polls; poll++) {
        const response = await send(context, "status", {
            method: "GET",
            url: statusUrl,
            headers: await context.apiHeaders(),
        });
        if (response.status === 200) {
            const status = JSON.parse(response.text) as UploadStatus;
            if (FINAL_STATES.includes(status.status)) return status;
        } else if (response.status !== 404) {
            throw refusal("status", response.status, response.header("content-type"), response.text);
        }
        await delay(pollMs, context.signal);
    }
    throw new UploadError(
        "status",
        0,
        `The upload was not checked in time (${polls} status reads); its status will be at ${statusUrl}`,
        "status_timeout",
    );
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            signal?.removeEventListener("abort", stop);
            resolve();
        }, ms);
        const stop = () => {
            clearTimeout(timer);
            reject(signal!.reason);
        };
        signal?.addEventListener("abort", stop, { once: true });
    });
}

function checkedOptions(file: Blob, options: UploadOptions) {
    if (typeof file?.size !== "number" || typeof file.slice !== "function")
        throw new TypeError("upload() takes a File or Blob");
    const apiUrl = checkedBaseUrl(options?.apiUrl, "apiUrl");
    const contentType = options.contentType ?? file.type;
    if (!contentType) throw new TypeError('The file has no type: pass options.contentType, such as "image/jpeg"');
    const method = options.method ?? "put";
    if (method !== "put" && method !== "post") throw new TypeError('method must be "put" or "post"');
    const threshold = options.multipartThreshold ?? MIN_PART_BYTES;
    if (!(threshold >= MIN_PART_BYTES))
        throw new TypeError(`multipartThreshold must be at least ${MIN_PART_BYTES} bytes (S3's smallest part)`);
    const { focus } = options;
    const unit = (value: unknown) => typeof value === "number" && value >= 0 && value <= 1;
    if (focus !== undefined && !(unit(focus?.x) && unit(focus?.y)))
        throw new TypeError("focus must be { x, y }, each from 0 to 1 (from the left and top edges)");
    return { apiUrl, contentType, method, threshold, focus };
}
