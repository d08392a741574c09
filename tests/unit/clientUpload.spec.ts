// upload() (client/src/upload.ts) on a fake transport: the paths a live API seldom takes (status not yet written,
// no answer, an abort, a part without its ETag, time-out) and the options it refuses. The real routes:
// tests/e2e/clientUploadLocal.spec.ts.
import { expect } from "chai";
import {
    FINAL_STATES,
    HttpRequest,
    HttpResponse,
    MIN_PART_BYTES,
    upload,
    UploadError,
    UploadStatus,
} from "../../client/src/index";
import * as server from "../../functions/shared/uploadStatus";

const API = "https://api.example.com";
const STATUS_URL = `${API}/uploads/9b1d2f3e-0000-4000-8000-000000000001`;
const READY = { status: "ready", key: "uploads/9b1d2f3e-0000-4000-8000-000000000001.jpg", variants: [], width: 1 };

function answer(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    const all: Record<string, string> = {
        "content-type": typeof body === "string" ? "application/xml" : "application/json",
        ...headers,
    };
    return { status, text, header: (name) => all[name.toLowerCase()] ?? null };
}

/** A fake API and storage: `route` answers each request (by "METHOD path"); every request is recorded. */
function fakeHttp(route: (request: HttpRequest, seen: string) => HttpResponse | Promise<HttpResponse>) {
    const requests: string[] = [];
    const http = async (request: HttpRequest) => {
        const seen = `${request.method} ${new URL(request.url).pathname}`;
        requests.push(seen);
        return route(request, seen);
    };
    return { requests, http };
}

const signedPut = () =>
    answer(200, {
        key: READY.key,
        statusUrl: STATUS_URL,
        uploadUrl: "https://s3.example.com/incoming/x.jpg",
        headers: { "Content-Type": "image/jpeg", "Content-Length": "3" },
    });
const file = (size = 3) => new Blob([new Uint8Array(size)], { type: "image/jpeg" });
const fast = { apiUrl: API, statusPollMs: 1 };

describe("client upload() on a fake transport", () => {
    it("reads the status again while it is 404 (not yet written) or pending, and resolves with the final one", async () => {
        const statuses = [
            answer(404, { error: { code: "unknown_upload", message: "No upload" } }),
            answer(200, { ...READY, status: "pending" }),
            answer(200, READY),
        ];
        const { requests, http } = fakeHttp((_request, seen) =>
            seen === "POST /uploads" ? signedPut() : seen.startsWith("PUT") ? answer(200, "") : statuses.shift()!,
        );
        expect(await upload(file(), { ...fast, http })).to.deep.equal(READY);
        expect(requests).to.deep.equal([
            "POST /uploads",
            "PUT /incoming/x.jpg",
            ...Array(3).fill(`GET ${new URL(STATUS_URL).pathname}`),
        ]);
    });

    it("sends the signed headers to storage but never Content-Length (a browser sets it itself)", async () => {
        let put: HttpRequest | undefined;
        const { http } = fakeHttp((request, seen) => {
            if (seen.startsWith("PUT")) put = request;
            return seen === "POST /uploads" ? signedPut() : answer(200, seen.startsWith("PUT") ? "" : READY);
        });
        await upload(file(), { ...fast, http });
        expect(put?.headers).to.deep.equal({ "Content-Type": "image/jpeg" });
    });

    it("rejects with an UploadError naming the step when no answer comes (network error)", async () => {
        const { http } = fakeHttp((_request, seen) => {
            if (seen.startsWith("PUT")) throw new TypeError("Failed to fetch");
            return signedPut();
        });
        const error = await upload(file(), { ...fast, http }).catch((e) => e);
        expect(error).to.be.instanceOf(UploadError);
        expect(error).to.include({
            step: "store",
            status: 0,
            code: "network_error",
            message: "Network error while uploading: Failed to fetch",
        });
    });

    it("decodes S3's XML entities in its Message, and says HTTP <status> when a refusal has no reason", async () => {
        const xml = `<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Don&apos;t &lt;b&gt; &#x41;</Message></Error>`;
        const { http } = fakeHttp((_request, seen) => (seen.startsWith("PUT") ? answer(403, xml) : signedPut()));
        expect(await upload(file(), { ...fast, http }).catch((e) => e)).to.include({
            code: "AccessDenied",
            message: "Don't <b> A",
        });
        const bare = fakeHttp(() => answer(502, "Bad Gateway", { "content-type": "text/plain" }));
        expect(await upload(file(), { ...fast, http: bare.http }).catch((e) => e)).to.include({
            step: "sign",
            status: 502,
            message: "HTTP 502",
            code: undefined,
        });
    });

    it("gives up after statusPolls reads of a pending status, saying where the status will be", async () => {
        const { http } = fakeHttp((_request, seen) =>
            seen === "POST /uploads"
                ? signedPut()
                : answer(200, seen.startsWith("PUT") ? "" : { ...READY, status: "pending" }),
        );
        const error = await upload(file(), { ...fast, statusPolls: 3, http }).catch((e) => e);
        expect(error).to.include({ step: "status", code: "status_timeout" });
        expect(error.message).to.include(STATUS_URL);
    });

    it("an abort while waiting for the status rejects with the signal's reason, and no request follows", async () => {
        const controller = new AbortController();
        const { requests, http } = fakeHttp((_request, seen) => {
            if (seen.startsWith("GET")) setTimeout(() => controller.abort(new Error("user left")), 5);
            return seen === "POST /uploads"
                ? signedPut()
                : answer(200, seen.startsWith("PUT") ? "" : { ...READY, status: "pending" });
        });
        const error = await upload(file(), { apiUrl: API, statusPollMs: 1000, signal: controller.signal, http }).catch(
            (e) => e,
        );
        expect(error.message).to.equal("user left");
        expect(requests.filter((r) => r.startsWith("GET"))).to.have.length(1);
    });

    it("multipart: a part answered without its ETag aborts the upload (DELETE) and rejects missing_etag", async () => {
        const { requests, http } = fakeHttp((_request, seen) => {
            if (seen === "POST /s3/multipart")
                return answer(200, { key: "incoming/x.jpg", uploadId: "u p", statusUrl: STATUS_URL, maxParts: 2 });
            if (seen.startsWith("GET /s3/multipart/"))
                return answer(200, { url: "https://s3.example.com/incoming/x.jpg?partNumber=1" });
            return answer(200, seen.startsWith("PUT") ? "" : {});
        });
        const error = await upload(file(MIN_PART_BYTES + 1), { ...fast, http }).catch((e) => e);
        expect(error).to.include({ step: "store", code: "missing_etag" });
        expect(requests).to.deep.equal([
            "POST /s3/multipart",
            "GET /s3/multipart/u%20p/1",
            "PUT /incoming/x.jpg",
            "DELETE /s3/multipart/u%20p",
        ]);
    });

    it("a focus goes in the signing request, and keeps a file over the threshold in one PUT (the /s3 routes take none)", async () => {
        const bodies: unknown[] = [];
        const { requests, http } = fakeHttp((request, seen) => {
            if (seen === "POST /uploads") bodies.push(JSON.parse(request.body as string));
            return seen === "POST /uploads" ? signedPut() : answer(200, seen.startsWith("PUT") ? "" : READY);
        });
        await upload(file(MIN_PART_BYTES + 1), { ...fast, http, focus: { x: 0.1, y: 1 } });
        expect(requests.slice(0, 2)).to.deep.equal(["POST /uploads", "PUT /incoming/x.jpg"]);
        expect(bodies).to.deep.equal([
            { contentType: "image/jpeg", size: MIN_PART_BYTES + 1, focus: { x: 0.1, y: 1 } },
        ]);
    });

    it("refuses, before any request, a Blob without a type, an unknown method and a threshold under S3's part size", async () => {
        const { requests, http } = fakeHttp(() => answer(500, {}));
        const cases: [Blob, object, RegExp][] = [
            [new Blob(["x"]), {}, /has no type: pass options.contentType/],
            [file(), { method: "patch" }, /method must be "put" or "post"/],
            [file(), { multipartThreshold: 1024 }, /multipartThreshold must be at least 5242880/],
            [file(), { apiUrl: "api.example.com" }, /apiUrl must be an http\(s\) URL/],
            [file(), { focus: { x: 0.5, y: 1.5 } }, /focus must be \{ x, y \}, each from 0 to 1/],
            [file(), { focus: { x: "0.5", y: 0 } }, /focus must be/],
        ];
        for (const [blob, options, message] of cases)
            expect(await upload(blob, { ...fast, http, ...options }).catch((e) => e))
                .to.be.instanceOf(TypeError)
                .and.to.match(message);
        expect(requests).to.deep.equal([]);
    });
});

describe("the client's copy of the status type is the server's (client/ cannot import functions/)", () => {
    it("each assigns to the other (else typecheck fails), with the same final states", () => {
        const serverStatus: server.UploadStatus = server.statusWithoutImage("failed", "uploads/x.jpg", {
            code: "processing_failed",
            message: "no",
        });
        const asClient: UploadStatus = serverStatus;
        const asServer: server.UploadStatus = asClient;
        expect(asServer).to.equal(serverStatus);
        expect(FINAL_STATES).to.deep.equal(server.FINAL_STATES);
    });
});
