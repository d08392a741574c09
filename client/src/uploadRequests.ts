// The two kinds of request an upload makes: to the API (JSON, with the caller's headers) and to storage (the bytes,
// to a presigned URL, with only the headers the API signed: never the caller's, which are the API's credentials).
import type { Http, HttpRequest, HttpResponse } from "./http.js";
import { refusal, UploadError, UploadStep } from "./uploadError.js";

export interface UploadContext {
    apiUrl: string;
    http: Http;
    signal?: AbortSignal;
    /** The caller's headers for the API (e.g. Authorization), read before each API request. */
    apiHeaders(): Promise<Record<string, string>>;
    /** Reports `loaded` of the file's bytes sent. */
    progress(loaded: number): void;
}

/** The caller's headers for the API: a record, or a function that gives one before each request (a token that renews). */
export type ApiHeaders = Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);

/** The headers `headers` gives, read before each API request. */
export function apiHeadersOf(headers: ApiHeaders = {}): () => Promise<Record<string, string>> {
    return async () => (typeof headers === "function" ? await headers() : headers);
}

/** A JSON request to the API; resolves with its JSON answer, rejects with the API's own reason. */
export async function callApi<T>(
    context: UploadContext,
    step: UploadStep,
    method: HttpRequest["method"],
    url: string,
    body?: unknown,
): Promise<T> {
    const headers = await context.apiHeaders();
    const response = await send(context, step, {
        method,
        url,
        headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!isSuccess(response.status))
        throw refusal(step, response.status, response.header("content-type"), response.text);
    return JSON.parse(response.text) as T;
}

/** Sends bytes to storage (a presigned PUT or POST); `offset`: the bytes of the file sent before these. */
export async function store(
    context: UploadContext,
    request: Pick<HttpRequest, "method" | "url" | "headers" | "body">,
    offset: number,
): Promise<HttpResponse> {
    // A browser sends the body's real Content-Length itself and refuses to have it set by hand (a forbidden header).
    const headers = Object.fromEntries(
        Object.entries(request.headers ?? {}).filter(([name]) => name.toLowerCase() !== "content-length"),
    );
    const response = await send(context, "store", {
        ...request,
        headers,
        onUploadProgress: (loaded) => context.progress(offset + loaded),
    });
    if (!isSuccess(response.status))
        throw refusal("store", response.status, response.header("content-type"), response.text);
    return response;
}

/** One request through the context's Http: no answer at all is a network error, unless the caller aborted. */
export async function send(context: UploadContext, step: UploadStep, request: HttpRequest): Promise<HttpResponse> {
    context.signal?.throwIfAborted();
    try {
        return await context.http({ ...request, signal: context.signal });
    } catch (error) {
        if (context.signal?.aborted) throw context.signal.reason;
        const where = step === "store" ? "while uploading" : "reaching the API";
        throw new UploadError(
            step,
            0,
            `Network error ${where}: ${(error as Error)?.message ?? error}`,
            "network_error",
        );
    }
}

function isSuccess(status: number): boolean {
    return status >= 200 && status < 300;
}
