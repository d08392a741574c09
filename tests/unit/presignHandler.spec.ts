import { expect } from "chai";
import { parseOriginalKey } from "../../functions/shared/bucketLayout";
import { randomUUID } from "crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { sanitizeSubject } from "../../functions/presign/uploadOwner";
import { httpEvent } from "../support/events";
import { createPresignHandler } from "../../functions/presign/presign";
import { TEST_BUCKET } from "../support/localS3";
import { handler, json, logs, s3, settings, usePresignHarness, UUID_V4 } from "../support/presignHarness";

describe("presign handler (functions/presign/presign.ts) against the loopback S3 and its gate", () => {
    usePresignHarness();

    describe("GET /uploads/<id> (the upload's status, status/<id>.json)", () => {
        it("answers where to read the status: the stage's apiUrl + /uploads/<uuid> of the signed upload", async () => {
            const event = httpEvent("POST", "/uploads", { body: { contentType: "image/png" } });
            event.stageVariables = { apiUrl: "https://api.example.com/" };
            const body = json(await handler()(event));
            const uuid = /^uploads\/(.+)\.png$/.exec(body.key)![1];
            expect(body.statusUrl).to.equal(`https://api.example.com/uploads/${uuid}`);
        });

        const storeStatus = (key: string, status: unknown) =>
            s3.s3.send(
                new PutObjectCommand({
                    Bucket: TEST_BUCKET,
                    Key: key,
                    Body: JSON.stringify(status),
                    ContentType: "application/json",
                }),
            );

        it("answers the stored status JSON, never cached", async () => {
            const id = randomUUID();
            const status = { status: "ready", key: `uploads/${id}.png`, width: 64, height: 48, format: "png" };
            await storeStatus(`status/${id}.json`, status);
            const result = await handler()(httpEvent("GET", `/uploads/${id}`));
            expect(result.statusCode).to.equal(200);
            expect(json(result)).to.deep.equal(status);
            expect(result.headers["cache-control"]).to.equal("no-store");
        });

        it("an unknown id → 404 unknown_upload JSON", async () => {
            const result = await handler()(httpEvent("GET", `/uploads/${randomUUID()}`));
            expect([result.statusCode, json(result).error.code]).to.deep.equal([404, "unknown_upload"]);
        });

        for (const bad of ["not-a-uuid", "..%2Fstatus%2Fx", randomUUID().toUpperCase(), `${randomUUID()}.json`]) {
            it(`an id that is not a lower-case uuid (${bad.slice(0, 20)}) → 400 invalid_id, not echoed`, async () => {
                const result = await handler()(httpEvent("GET", `/uploads/${bad}`));
                expect([result.statusCode, json(result).error.code]).to.deep.equal([400, "invalid_id"]);
                expect(result.body).to.not.contain(bad);
            });
        }

        it("with auth, the caller reads only its own uploads' status (the owner segment comes from the JWT)", async () => {
            const id = randomUUID();
            await storeStatus(`status/${sanitizeSubject("alice")}/${id}.json`, { status: "pending" });
            const as = (sub: string) =>
                handler({ requireAuth: true })(httpEvent("GET", `/uploads/${id}`, { claims: { sub } }));
            expect(json(await as("alice"))).to.deep.equal({ status: "pending" });
            expect((await as("mallory")).statusCode).to.equal(404);
        });
    });

    describe("bad input: a JSON error, nothing signed", () => {
        const cases: Array<[string, () => ReturnType<typeof httpEvent>, number, string]> = [
            ["no body", () => httpEvent("POST", "/uploads"), 400, "invalid_body"],
            ["malformed JSON", () => httpEvent("POST", "/uploads", { body: "{contentType:" }), 400, "invalid_json"],
            ["a JSON array", () => httpEvent("POST", "/uploads", { body: ["image/png"] }), 400, "invalid_body"],
            [
                "an oversized body",
                () => httpEvent("POST", "/uploads", { body: { contentType: "image/png", pad: "x".repeat(2000) } }),
                400,
                "body_too_large",
            ],
            ["no type or extension", () => httpEvent("POST", "/uploads", { body: {} }), 400, "missing_type"],
            [
                "an unknown content type",
                () => httpEvent("POST", "/uploads", { body: { contentType: "image/tiff" } }),
                400,
                "unknown_type",
            ],
            [
                "a non-image content type",
                () => httpEvent("POST", "/uploads/form", { body: { contentType: "text/html" } }),
                400,
                "unknown_type",
            ],
            [
                "an unknown extension",
                () => httpEvent("POST", "/uploads", { body: { extension: "exe" } }),
                400,
                "unknown_extension",
            ],
            [
                "a type that is not a string",
                () => httpEvent("POST", "/uploads", { body: { contentType: 42 } }),
                400,
                "invalid_body",
            ],
            [
                "an unknown field",
                () => httpEvent("POST", "/uploads", { body: { contentType: "image/png", key: "uploads/mine.png" } }),
                400,
                "unknown_field",
            ],
            [
                "type and extension that disagree",
                () => httpEvent("POST", "/uploads", { body: { contentType: "image/png", extension: "gif" } }),
                400,
                "type_mismatch",
            ],
            ["no x-extension on the seed route", () => httpEvent("GET", "/uploads"), 400, "missing_type"],
            [
                "an unknown x-extension",
                () => httpEvent("GET", "/uploads", { headers: { "x-extension": "svg" } }),
                400,
                "unknown_extension",
            ],
            [
                "extra path segments",
                () => httpEvent("POST", "/uploads/abc.png", { body: { contentType: "image/png" } }),
                400,
                "invalid_path",
            ],
            [
                "extra segments after form",
                () => httpEvent("POST", "/uploads/form/x", { body: { contentType: "image/png" } }),
                400,
                "invalid_path",
            ],
            ["another path", () => httpEvent("GET", "/admin"), 404, "not_found"],
            ["another method", () => httpEvent("DELETE", "/uploads"), 405, "method_not_allowed"],
            ["GET on the form route", () => httpEvent("GET", "/uploads/form"), 405, "method_not_allowed"],
            [
                "a form declaring a size over maxUploadBytes",
                () =>
                    httpEvent("POST", "/uploads/form", {
                        body: { contentType: "image/png", size: 10 * 1024 * 1024 + 1 },
                    }),
                400,
                "too_large",
            ],
        ];
        for (const [what, event, status, code] of cases) {
            it(`${what} → ${status} ${code}`, async () => {
                const result = await handler()(event());
                expect(result.statusCode).to.equal(status);
                expect(result.headers["content-type"]).to.match(/^application\/json/);
                const body = json(result);
                expect(body).to.have.keys("error");
                expect(body.error.code).to.equal(code);
                expect(body.error.message).to.be.a("string").and.not.empty;
                expect(result.body).to.not.include("X-Amz-Signature");
            });
        }

        it("refuses a type outside allowedContentTypes", async () => {
            const result = await handler({ allowedContentTypes: ["image/jpeg"] })(
                httpEvent("POST", "/uploads", { body: { contentType: "image/png" } }),
            );
            expect(result.statusCode).to.equal(400);
            expect(json(result).error.code).to.equal("type_not_allowed");
        });

        it("lets a CORS preflight through with 204 and signs nothing", async () => {
            const result = await handler()(
                httpEvent("OPTIONS", "/uploads", { headers: { origin: "http://localhost:3000" } }),
            );
            expect(result.statusCode).to.equal(204);
            expect(result.body).to.equal("");
        });

        it("says which methods a route takes", async () => {
            const result = await handler()(httpEvent("PUT", "/uploads/form"));
            expect(result.headers.allow).to.equal("POST");
        });

        it("never echoes input unescaped", async () => {
            const result = await handler()(
                httpEvent("GET", "/uploads", { headers: { "x-extension": "<img src=x onerror=alert(1)>" } }),
            );
            expect(result.statusCode).to.equal(400);
            expect(result.body).to.not.match(/[<>]/);
            expect(json(result).error.message).to.include("\\u003cimg");
        });

        it("answers an unexpected failure with an opaque 500, not a stack trace", async () => {
            const broken = createPresignHandler({
                s3: { config: {} } as never,
                settings: settings(),
                log: (line) => logs.push(line),
            });
            const result = await broken(httpEvent("POST", "/uploads", { body: { contentType: "image/png" } }));
            expect(result.statusCode).to.equal(500);
            expect(json(result)).to.deep.equal({ error: { code: "internal_error", message: "Internal error" } });
        });
    });

    describe("with a JWT authorizer (requireAuth)", () => {
        it("refuses a request without a subject with 401", async () => {
            const result = await handler({ requireAuth: true })(
                httpEvent("POST", "/uploads", { body: { contentType: "image/png" } }),
            );
            expect(result.statusCode).to.equal(401);
            expect(json(result).error.code).to.equal("unauthorized");
        });

        it("puts the key under the caller's sanitized sub", async () => {
            const result = await handler({ requireAuth: true })(
                httpEvent("POST", "/uploads/form", {
                    body: { extension: "webp" },
                    claims: { sub: "auth0|user/../42" },
                }),
            );
            expect(json(result).key).to.match(
                new RegExp(`^uploads/auth0\\.7Cuser\\.2F\\.2E\\.2E\\.2F42/${UUID_V4}\\.webp$`),
            );
        });

        it("keeps distinct subjects in distinct prefixes", () => {
            const subjects = ["a|b", "a-b", "a.7Cb", "a_b", "A|b", "x".repeat(300), "x".repeat(301)];
            expect(new Set(subjects.map(sanitizeSubject)).size).to.equal(subjects.length);
            for (const sub of subjects) expect(sanitizeSubject(sub)).to.match(/^[A-Za-z0-9_.-]{1,200}$/);
        });
    });

    describe("logging", () => {
        it("writes one JSON line per request, with no URL, signature or credential", async () => {
            await handler()(httpEvent("POST", "/uploads/form", { body: { contentType: "image/png" } }));
            await handler()(httpEvent("GET", "/uploads", { headers: { "x-extension": "png" } }));
            await handler()(httpEvent("POST", "/nowhere"));
            expect(logs).to.have.length(3);
            const lines = logs.map((line) => JSON.parse(line));
            expect(lines.map((l) => l.status)).to.deep.equal([200, 200, 404]);
            expect(lines[0].key).to.match(/^uploads\//);
            // The upload's id beside its key, the outcome and the milliseconds, as every request line has them.
            expect(lines[0].uploadId).to.equal(parseOriginalKey(lines[0].key)!.id);
            expect(lines.map((l) => l.outcome)).to.deep.equal(["ok", "ok", "not_found"]);
            for (const line of lines) expect(line).to.include({ service: "presign", message: "request" });
            for (const line of lines) expect(line.ms).to.be.a("number").at.least(0);
            for (const line of logs) expect(line).to.not.match(/Signature|Credential|Policy|S3RVER|https?:/i);
        });
    });
});
