import { expect } from "chai";
import * as http from "http";
import { AddressInfo } from "net";
import { createCdn, CdnOptions } from "../../local/cdn/cdn";
import { HttpEvent, jsonResult } from "../../functions/shared/http";
import { CDN_CORS, CDN_CREDENTIALED_ALLOW_HEADERS } from "../../functions/shared/cdnResponseHeaders";
import { edgeFunctionCode } from "../../functions/edge/edgeFunction";
import { viewerRequestFunction } from "../../local/cdn/edgeRuntime";

const missing = () => Object.assign(new Error("missing"), { name: "NoSuchKey" });

/** A bucket in memory that records every key the CDN asks for. */
function memoryBucket(objects: Record<string, { body: Buffer; contentType: string }>) {
    const asked: string[] = [];
    const send = async (command: { input: { Key: string } }) => {
        asked.push(command.input.Key);
        const object = objects[command.input.Key];
        if (!object) throw missing();
        return {
            Body: { transformToByteArray: async () => new Uint8Array(object.body) },
            ContentType: object.contentType,
            ETag: '"abc"',
        };
    };
    return { s3: { send } as never, asked };
}

/** A GET with the path sent verbatim (fetch would resolve dot segments itself, before sending). */
function rawGet(url: string, path: string): Promise<{ status: number; contentType: string | undefined; json: any }> {
    const { hostname, port, pathname } = new URL(url);
    return new Promise((resolve, reject) => {
        http.get({ hostname, port, path: `${pathname}/${path}` }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () =>
                resolve({
                    status: res.statusCode!,
                    contentType: res.headers["content-type"],
                    json: JSON.parse(Buffer.concat(chunks).toString()),
                }),
            );
        }).on("error", reject);
    });
}

async function serve(options: CdnOptions) {
    const cdn = createCdn(options);
    const server = http.createServer((req, res) => void cdn.handle(req, res, req.url!.slice(4)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}/cdn`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}

describe("local CDN emulation (local/cdn/cdn.ts)", () => {
    it("keeps the Resizer's redirect for a too-big variant under its own path", async () => {
        const seen: HttpEvent[] = [];
        const cdn = createCdn({
            s3: {
                send: async () => {
                    throw missing();
                },
            } as never,
            bucket: "b",
            basePath: "/cdn",
            corsOrigins: [],
            resize: async (event) => {
                seen.push(event);
                return jsonResult(
                    307,
                    { location: `/${event.rawPath.slice(1)}` },
                    { location: `/${event.rawPath.slice(1)}` },
                );
            },
        });
        const server = http.createServer((req, res) => void cdn.handle(req, res, req.url!.slice(4)));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        try {
            const { port } = server.address() as AddressInfo;
            const response = await fetch(`http://127.0.0.1:${port}/cdn/2048x2048/uploads/big.png`, {
                redirect: "manual",
            });
            expect(response.status).to.equal(307);
            expect(response.headers.get("location")).to.equal("/cdn/2048x2048/uploads/big.png");
            expect(response.headers.get("cache-control")).to.equal("no-store");
            expect(seen.map((e) => e.rawPath)).to.deep.equal(["/2048x2048/uploads/big.png"]);
        } finally {
            server.close();
        }
    });

    describe("as CloudFront with OAC and the stack's response-headers policy", () => {
        const body = Buffer.from(Array.from({ length: 50 }, (_, i) => i));
        const json = Buffer.from(JSON.stringify({ text: "x".repeat(2000) }));
        let bucket: ReturnType<typeof memoryBucket>;
        let cdn: Awaited<ReturnType<typeof serve>>;
        let resized: string[];
        before(async () => {
            bucket = memoryBucket({
                "uploads/a.png": { body, contentType: "image/png" },
                "uploads/a.json": { body: json, contentType: "application/json" },
            });
            resized = [];
            cdn = await serve({
                s3: bucket.s3,
                bucket: "b",
                basePath: "/cdn",
                corsOrigins: ["https://app.example.com"],
                resize: async (event) => {
                    resized.push(event.rawPath);
                    return jsonResult(404, { error: { code: "original_not_found", message: "missing" } });
                },
            });
        });
        after(() => cdn.close());
        beforeEach(() => {
            bucket.asked.length = 0;
        });

        it("refuses the bucket root with 403 and lists nothing (OAC without s3:ListBucket)", async () => {
            const response = await fetch(`${cdn.url}/`);
            expect(response.status).to.equal(403);
            expect(((await response.json()) as { error: { code: string } }).error.code).to.equal("access_denied");
            expect(bucket.asked).to.deep.equal([]);
        });

        // S3 keys: UTF-8, at most 1,024 bytes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html)
        for (const [name, path, status] of [
            ["a NUL byte", "uploads/x%00.png", 400],
            ["a control character", "uploads/x%0A.png", 400],
            ["a double slash", "uploads//a.png", 400],
            ["a trailing slash", "uploads/", 400],
            ["a .. segment", "uploads/x/../a.png", 400],
            ["a . segment", "uploads/./a.png", 400],
            ["an encoded .. segment", "uploads/%2E%2E/a.png", 400],
            ["a 300-byte file name", `uploads/${"a".repeat(296)}.png`, 400],
            ["5000 characters (over S3's 1,024 bytes)", `uploads/${"a".repeat(4988)}.png`, 414],
            ["600 two-byte characters (1,200 bytes of UTF-8)", `uploads/${"%C3%A9".repeat(600)}.png`, 414],
            ["invalid percent-encoding", "uploads/%E0%A4%A.png", 400],
        ] as const) {
            it(`answers a key with ${name} ${status} JSON before any S3 call, never resolving it to another object`, async () => {
                const response = await rawGet(cdn.url, path);
                expect(response.status).to.equal(status);
                expect(response.contentType).to.match(/^application\/json/);
                expect(response.json.error.code).to.equal(status === 414 ? "key_too_long" : "invalid_key");
                expect(bucket.asked).to.deep.equal([]);
                expect(resized).to.deep.equal([]);
            });
        }

        it("adds nosniff and HSTS to every answer, errors included", async () => {
            for (const path of ["uploads/a.png", "uploads/none.png", "uploads//a.png"]) {
                const response = await fetch(`${cdn.url}/${path}`);
                expect(response.headers.get("x-content-type-options"), path).to.equal("nosniff");
                expect(response.headers.get("strict-transport-security"), path).to.equal("max-age=31536000");
            }
        });

        it("sends CORS read headers to a configured origin only", async () => {
            const allowed = await fetch(`${cdn.url}/uploads/a.png`, { headers: { origin: "https://app.example.com" } });
            expect(allowed.headers.get("access-control-allow-origin")).to.equal("https://app.example.com");
            expect(allowed.headers.get("access-control-expose-headers")).to.equal(CDN_CORS.exposeHeaders.join(", "));
            expect(allowed.headers.get("vary")).to.include("Origin");
            const other = await fetch(`${cdn.url}/uploads/a.png`, { headers: { origin: "https://evil.example.com" } });
            expect(other.status).to.equal(200);
            expect(other.headers.get("access-control-allow-origin")).to.equal(null);
        });

        it("answers an OPTIONS preflight for GET from a configured origin, and none for another origin or method", async () => {
            const preflight = (origin: string, method: string) =>
                fetch(`${cdn.url}/uploads/a.png`, {
                    method: "OPTIONS",
                    headers: { origin, "access-control-request-method": method },
                });
            const allowed = await preflight("https://app.example.com", "GET");
            expect(allowed.status).to.equal(200);
            expect(allowed.headers.get("access-control-allow-origin")).to.equal("https://app.example.com");
            expect(allowed.headers.get("access-control-allow-methods")).to.equal("GET, HEAD");
            expect(allowed.headers.get("access-control-max-age")).to.equal("86400");
            for (const [origin, method] of [
                ["https://evil.example.com", "GET"],
                ["https://app.example.com", "PUT"],
            ]) {
                const refused = await preflight(origin, method);
                expect(refused.headers.get("access-control-allow-origin"), `${origin} ${method}`).to.equal(null);
                expect(refused.headers.get("access-control-allow-methods")).to.equal(null);
            }
            expect(bucket.asked).to.deep.equal([]);
        });

        it("with corsAllowCredentials, answers a preflight with the named request headers, never `*` (CloudFront refuses it)", async () => {
            const credentialed = await serve({
                s3: bucket.s3,
                bucket: "b",
                basePath: "/cdn",
                corsOrigins: ["https://app.example.com"],
                corsAllowCredentials: true,
                resize: async () => jsonResult(500, {}),
            });
            try {
                const preflight = await fetch(`${credentialed.url}/uploads/a.png`, {
                    method: "OPTIONS",
                    headers: {
                        origin: "https://app.example.com",
                        "access-control-request-method": "GET",
                        "access-control-request-headers": "range",
                    },
                });
                expect(preflight.headers.get("access-control-allow-credentials")).to.equal("true");
                expect(preflight.headers.get("access-control-allow-headers")).to.equal(
                    CDN_CREDENTIALED_ALLOW_HEADERS.join(", "),
                );
            } finally {
                await credentialed.close();
            }
        });

        it("serves one byte range as 206 with Content-Range (RFC 9110 §14)", async () => {
            const cases: Array<[string, number, number]> = [
                ["bytes=0-9", 0, 9],
                ["bytes=45-", 45, 49],
                ["bytes=-5", 45, 49],
                ["bytes=40-999", 40, 49],
            ];
            for (const [range, start, end] of cases) {
                const response = await fetch(`${cdn.url}/uploads/a.png`, { headers: { range } });
                expect(response.status, range).to.equal(206);
                expect(response.headers.get("content-range"), range).to.equal(`bytes ${start}-${end}/50`);
                expect(Buffer.from(await response.arrayBuffer()).equals(body.subarray(start, end + 1)), range).to.equal(
                    true,
                );
            }
            const whole = await fetch(`${cdn.url}/uploads/a.png`);
            expect(whole.headers.get("accept-ranges")).to.equal("bytes");
        });

        it("answers an unsatisfiable range 416 with Content-Range bytes */length", async () => {
            for (const range of ["bytes=50-", "bytes=-0"]) {
                const response = await fetch(`${cdn.url}/uploads/a.png`, { headers: { range } });
                expect(response.status, range).to.equal(416);
                expect(response.headers.get("content-range"), range).to.equal("bytes */50");
            }
        });

        it("answers several ranges, another unit or a stale If-Range with the whole object (200), as CloudFront does", async () => {
            for (const headers of [
                { range: "bytes=0-1,5-6" } as Record<string, string>,
                { range: "items=0-1" },
                { range: "bytes=9-2" },
                { range: "bytes=0-1", "if-range": '"other"' },
            ]) {
                const response = await fetch(`${cdn.url}/uploads/a.png`, { headers });
                expect(response.status, JSON.stringify(headers)).to.equal(200);
                expect(Buffer.from(await response.arrayBuffer()).equals(body)).to.equal(true);
            }
        });

        it("sends a range of a compressible object as stored bytes, not compressed ones", async () => {
            const response = await fetch(`${cdn.url}/uploads/a.json`, {
                headers: { range: "bytes=0-7", "accept-encoding": "gzip, br" },
            });
            expect(response.status).to.equal(206);
            expect(response.headers.get("content-encoding")).to.equal(null);
            expect(await response.text()).to.equal(json.subarray(0, 8).toString());
        });
    });

    describe("autoFormat: the variant behaviours' viewer-request function (functions/edge/chooseFormat.js)", () => {
        const CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
        const body = Buffer.from("stored avif bytes");
        let bucket: ReturnType<typeof memoryBucket>;
        let resized: string[];
        let cdn: Awaited<ReturnType<typeof serve>>;
        const start = async (viewerRequest: CdnOptions["viewerRequest"]) => {
            bucket = memoryBucket({
                "300x300/avif/uploads/a.jpg": { body, contentType: "image/avif" },
                "uploads/a.jpg": { body, contentType: "image/jpeg" },
            });
            resized = [];
            cdn = await serve({
                s3: bucket.s3,
                bucket: "b",
                basePath: "/cdn",
                corsOrigins: [],
                viewerRequest,
                resize: async (event) => {
                    resized.push(event.rawPath);
                    return jsonResult(404, { error: { code: "original_not_found", message: "missing" } });
                },
            });
        };
        afterEach(() => cdn.close());

        it("asks the bucket, then the Resizer, for the URI the function chose, and says Vary: Accept", async () => {
            await start(viewerRequestFunction(edgeFunctionCode(["avif", "webp"])));
            const avif = await fetch(`${cdn.url}/300x300/uploads/a.jpg`, { headers: { accept: CHROME } });
            expect(avif.status).to.equal(200);
            expect(avif.headers.get("content-type")).to.equal("image/avif");
            expect(avif.headers.get("vary")).to.equal("Accept");
            const webp = await fetch(`${cdn.url}/300x300/uploads/a.jpg`, { headers: { accept: "image/webp,*/*" } });
            expect(webp.status).to.equal(404);
            expect(webp.headers.get("vary")).to.equal("Accept"); // errors carry the policy's headers too
            expect(bucket.asked).to.deep.equal(["300x300/avif/uploads/a.jpg", "300x300/webp/uploads/a.jpg"]);
            expect(resized).to.deep.equal(["/300x300/webp/uploads/a.jpg"]);
        });

        it("leaves originals alone: no function, no Vary: Accept", async () => {
            await start(viewerRequestFunction(edgeFunctionCode(["avif", "webp"])));
            const original = await fetch(`${cdn.url}/uploads/a.jpg`, { headers: { accept: CHROME } });
            expect(original.headers.get("content-type")).to.equal("image/jpeg");
            expect(original.headers.get("vary")).to.equal(null);
            expect(bucket.asked).to.deep.equal(["uploads/a.jpg"]);
        });

        it("without autoFormat, serves the path as asked and does not vary on Accept", async () => {
            await start(undefined);
            const variant = await fetch(`${cdn.url}/300x300/uploads/a.jpg`, { headers: { accept: CHROME } });
            expect(variant.status).to.equal(404);
            expect(variant.headers.get("vary")).to.equal(null);
            expect(resized).to.deep.equal(["/300x300/uploads/a.jpg"]);
        });

        it("answers a failing function 503 as CloudFront does, asks no origin, and keeps serving", async () => {
            await start(() => {
                throw new Error("boom");
            });
            const failed = await fetch(`${cdn.url}/300x300/uploads/a.jpg`, { headers: { accept: CHROME } });
            expect(failed.status).to.equal(503);
            expect(((await failed.json()) as any).error.code).to.equal("function_error");
            expect(bucket.asked).to.deep.equal([]);
            expect((await fetch(`${cdn.url}/uploads/a.jpg`)).status).to.equal(200);
        });
    });
});
