// The one seam upload() does its I/O through: a request in, status, headers and text out. The default sends bodies
// with XMLHttpRequest where there is one (a browser: the API that reports upload progress) and everything else
// with fetch; a spec or an app can pass its own.

export interface HttpRequest {
    method: "GET" | "POST" | "PUT" | "DELETE";
    url: string;
    headers?: Record<string, string>;
    body?: string | Blob | FormData;
    signal?: AbortSignal;
    /** Bytes of the body sent so far (called as they go, where the transport can tell). */
    onUploadProgress?: (loaded: number) => void;
}

export interface HttpResponse {
    status: number;
    /** A response header, case-insensitive; null when absent. */
    header(name: string): string | null;
    text: string;
}

/** Resolves with any answer, whatever its status; rejects only when no answer came (network error, aborted). */
export type Http = (request: HttpRequest) => Promise<HttpResponse>;

interface XhrLike {
    open(method: string, url: string): void;
    setRequestHeader(name: string, value: string): void;
    getResponseHeader(name: string): string | null;
    send(body?: unknown): void;
    abort(): void;
    readonly status: number;
    readonly responseText: string;
    readonly upload: { addEventListener(type: "progress", listener: (event: { loaded: number }) => void): void };
    addEventListener(type: "load" | "error" | "abort", listener: () => void): void;
}

/** fetch, or XMLHttpRequest for a body sent with progress in a browser. */
export const defaultHttp: Http = (request) => {
    const Xhr = (globalThis as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;
    return Xhr && request.body !== undefined && request.onUploadProgress
        ? sendWithXhr(new Xhr(), request)
        : sendWithFetch(request);
};

async function sendWithFetch(request: HttpRequest): Promise<HttpResponse> {
    // The API's answers are never reused from a cache: a status read must see the latest state. (`cache` is typed
    // apart: Node's RequestInit type lacks it, though its fetch takes it.)
    const init: RequestInit & { cache?: "no-store" } = {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: request.signal,
        cache: "no-store",
    };
    const response = await fetch(request.url, init);
    const text = await response.text();
    return { status: response.status, header: (name) => response.headers.get(name), text };
}

function sendWithXhr(xhr: XhrLike, request: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
        const { signal } = request;
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => xhr.abort();
        signal?.addEventListener("abort", onAbort, { once: true });
        xhr.open(request.method, request.url);
        for (const [name, value] of Object.entries(request.headers ?? {})) xhr.setRequestHeader(name, value);
        xhr.upload.addEventListener("progress", (event) => request.onUploadProgress?.(event.loaded));
        xhr.addEventListener("load", () => {
            signal?.removeEventListener("abort", onAbort);
            resolve({ status: xhr.status, header: (name) => xhr.getResponseHeader(name), text: xhr.responseText });
        });
        xhr.addEventListener("error", () => reject(new TypeError("no answer")));
        xhr.addEventListener("abort", () => reject(signal?.reason ?? new Error("aborted")));
        xhr.send(request.body);
    });
}
