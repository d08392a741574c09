// The client library's upload() (client/src/upload.ts) in Node against local mode's API, storage and CDN: each way
// up (presigned PUT, presigned POST, multipart above the threshold), the final statuses, and each refuser's own words.
import { expect } from "chai";
import sharp from "sharp";
import { HttpRequest, imageUrl, upload, UploadError, defaultHttp } from "../../client/src/index";
import { jpegBytes, noiseJpeg } from "../support/images";
import { startTestPipeline } from "../support/localPipeline";

const MiB = 1024 * 1024;

describe("client upload() against local mode", function () {
    this.timeout(120_000);
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    let apiUrl: string;
    let cdnUrl: string;

    before(async () => {
        // Room for a file over the 5 MiB multipart threshold.
        pipeline = await startTestPipeline({ "image-pipeline:maxUploadBytes": String(32 * MiB) });
        apiUrl = `${pipeline.url}/api`;
        cdnUrl = `${pipeline.url}/cdn`;
    });
    after(() => pipeline?.close());

    const jpeg = (bytes: Buffer) => new Blob([bytes], { type: "image/jpeg" });
    /** Every request upload() makes, through the default transport. */
    function recorded() {
        const requests: HttpRequest[] = [];
        return {
            requests,
            http: (request: HttpRequest) => {
                requests.push(request);
                return defaultHttp(request);
            },
        };
    }

    for (const method of ["put", "post"] as const) {
        it(`presigned ${method.toUpperCase()}: resolves ready with the status; the CDN serves the original and a variant at imageUrl()`, async () => {
            const progress: { loaded: number; total: number }[] = [];
            const bytes = await jpegBytes(1600, 1200);
            const { requests, http } = recorded();
            const status = await upload(jpeg(bytes), { apiUrl, method, http, onProgress: (p) => progress.push(p) });
            expect(status).to.include({ status: "ready", width: 1600, height: 1200, format: "jpeg" });
            expect(status.key).to.match(/^uploads\/[0-9a-f-]{36}\.jpg$/);
            expect(requests[0]).to.include({
                method: "POST",
                url: `${apiUrl}/uploads${method === "post" ? "/form" : ""}`,
            });
            expect(JSON.parse(requests[0].body as string)).to.deep.equal({
                contentType: "image/jpeg",
                size: bytes.length,
            });
            expect(requests[1].method).to.equal(method.toUpperCase());
            expect(progress.at(-1)).to.deep.equal({ loaded: bytes.length, total: bytes.length });
            const original = await fetch(imageUrl(status.key, { cdnUrl }));
            expect(original.status).to.equal(200);
            expect(Buffer.from(await original.arrayBuffer()).equals(bytes), "the bytes sent").to.equal(true);
            const variant = await fetch(imageUrl(status.key, { cdnUrl, width: 640, height: 480 }));
            expect(variant.status).to.equal(200);
            const { width, height } = await sharp(Buffer.from(await variant.arrayBuffer())).metadata();
            expect([width, height]).to.deep.equal([640, 480]);
        });
    }

    it("multipart above the threshold: create, each part signed and PUT, complete; resolves ready", async () => {
        const bytes = await noiseJpeg(1700, 1700);
        expect(bytes.length).to.be.within(5 * MiB + 1, 10 * MiB); // two parts of S3's 5 MiB minimum
        const progress: number[] = [];
        const { requests, http } = recorded();
        const status = await upload(jpeg(bytes), { apiUrl, http, onProgress: (p) => progress.push(p.loaded) });
        expect(status).to.include({ status: "ready", width: 1700, height: 1700 });
        const routes = requests.map(
            (r) => `${r.method} ${new URL(r.url).pathname.replace(/multipart\/[^/]+/, "multipart/<id>")}`,
        );
        expect(routes.slice(0, 6)).to.deep.equal([
            "POST /api/s3/multipart",
            "GET /api/s3/multipart/<id>/1",
            `PUT ${new URL(requests[2].url).pathname}`,
            "GET /api/s3/multipart/<id>/2",
            `PUT ${new URL(requests[4].url).pathname}`,
            "POST /api/s3/multipart/<id>/complete",
        ]);
        expect(JSON.parse(requests[0].body as string)).to.deep.equal({
            type: "image/jpeg",
            metadata: { size: bytes.length },
        });
        expect(progress.at(-1)).to.equal(bytes.length);
        expect(progress).to.deep.equal(
            [...progress].sort((a, b) => a - b),
            "progress never goes back",
        );
    });

    it("a focus is signed into the PUT as x-amz-meta-focus (docs/resizing-and-formats.md), and the upload ends ready", async () => {
        const { requests, http } = recorded();
        const status = await upload(jpeg(await jpegBytes(400, 300)), { apiUrl, http, focus: { x: 0.1, y: 0.5 } });
        expect(status.status).to.equal("ready");
        expect(JSON.parse(requests[0].body as string).focus).to.deep.equal({ x: 0.1, y: 0.5 });
        const put = requests.find((request) => request.method === "PUT")!;
        expect(put.headers).to.include({ "x-amz-meta-focus": "0.1,0.5" });
        expect(new URL(put.url).searchParams.get("X-Amz-SignedHeaders")).to.include("x-amz-meta-focus");
    });

    it("resolves rejected, with the check's reason, when the bytes are no image", async () => {
        const status = await upload(new Blob(["just text, not a JPEG\n"], { type: "image/jpeg" }), { apiUrl });
        expect(status.status).to.equal("rejected");
        expect(status.error?.code).to.equal("not_an_allowed_image");
    });

    it("rejects with the API's own message and code when it refuses to sign", async () => {
        const direct = await fetch(`${apiUrl}/uploads`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ contentType: "text/html", size: 5 }),
        });
        const { error } = (await direct.json()) as { error: { code: string; message: string } };
        const refused = await upload(new Blob(["<p>hi</p>"]), { apiUrl, contentType: "text/html" }).catch((e) => e);
        expect(refused).to.be.instanceOf(UploadError);
        expect(refused).to.include({ step: "sign", status: direct.status, code: error.code, message: error.message });
    });

    it("rejects with S3's Code and Message when storage refuses the bytes (a spoiled signature)", async () => {
        const spoiled = (request: HttpRequest) =>
            defaultHttp(
                request.method === "PUT"
                    ? {
                          ...request,
                          url: request.url.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${"0".repeat(64)}`),
                      }
                    : request,
            );
        const refused = await upload(jpeg(await jpegBytes(64, 48)), { apiUrl, http: spoiled }).catch((e) => e);
        expect(refused).to.be.instanceOf(UploadError);
        expect(refused).to.include({ step: "store", status: 403, code: "SignatureDoesNotMatch" });
        expect(refused.message).to.match(/^The request signature we calculated does not match/);
    });
});

describe("client upload() against local mode with jwtIssuer", function () {
    this.timeout(60_000);
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;

    before(async () => {
        pipeline = await startTestPipeline({
            "image-pipeline:jwtIssuer": "https://issuer.example.com/",
            "image-pipeline:jwtAudience": "client-spec",
        });
    });
    after(() => pipeline?.close());

    it("sends `headers` (here a function) to every API request, never to storage; keys go under the caller's sub", async () => {
        const { token } = (await (await fetch(`${pipeline.url}/local/token?sub=client-user`)).json()) as {
            token: string;
        };
        const seen: [string, string | undefined][] = [];
        const http = (request: HttpRequest) => {
            seen.push([
                new URL(request.url).port === new URL(pipeline.url).port ? "api" : "storage",
                request.headers?.authorization,
            ]);
            return defaultHttp(request);
        };
        const status = await upload(jpeg(await jpegBytes(64, 48)), {
            apiUrl: `${pipeline.url}/api`,
            headers: async () => ({ authorization: `Bearer ${token}` }),
            http,
        });
        expect(status.status).to.equal("ready");
        expect(status.key).to.match(/^uploads\/client-user\//);
        expect(seen.filter(([to]) => to === "storage")).to.deep.equal([["storage", undefined]]);
        expect(seen.filter(([to, auth]) => to === "api" && auth !== `Bearer ${token}`)).to.deep.equal([]);
    });

    it("without a token: rejects with API Gateway's own 401 message", async () => {
        const refused = await upload(jpeg(await jpegBytes(64, 48)), { apiUrl: `${pipeline.url}/api` }).catch((e) => e);
        expect(refused).to.include({ step: "sign", status: 401, message: "Unauthorized" });
    });

    function jpeg(bytes: Buffer) {
        return new Blob([bytes], { type: "image/jpeg" });
    }
});
