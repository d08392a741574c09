import { expect } from "chai";
import { PresignSettings } from "../../functions/presign/settings";
import { httpEvent } from "../support/events";
import { s3ErrorOf, TEST_BUCKET } from "../support/localS3";
import { CDN, handler, json, png, s3, usePresignHarness, UUID_V4 } from "../support/presignHarness";

/** Answers name the final key (uploads/...); the upload itself is signed into the staging prefix. */
const staged = (key: string) => key.replace(/^uploads\//, "incoming/");

describe("presign handler (functions/presign/) signing uploads, against the loopback S3 and its gate", () => {
    usePresignHarness();

    describe("POST /uploads (presigned PUT)", () => {
        it("answers a fresh uploads/<uuid>.<ext> key, the URL, the header to send and where the image will be", async () => {
            const before = Date.now();
            const result = await handler()(httpEvent("POST", "/uploads", { body: { contentType: "image/png" } }));
            expect(result.statusCode).to.equal(200);
            expect(result.headers["content-type"]).to.match(/^application\/json/);
            const body = json(result);
            expect(body.key).to.match(new RegExp(`^uploads/${UUID_V4}\\.png$`));
            expect(body.method).to.equal("PUT");
            expect(body.headers).to.deep.equal({ "Content-Type": "image/png", "If-None-Match": "*" });
            expect(body.url).to.equal(`${CDN}/${body.key}`);
            const expiresAt = Date.parse(body.expiresAt);
            expect(expiresAt - before).to.be.within(300_000 - 1000, 300_000 + 5000);
            expect(body.uploadUrl).to.include(`/${TEST_BUCKET}/${staged(body.key)}?`);
            expect(body.statusUrl).to.match(new RegExp(`^/uploads/${UUID_V4}$`));
        });

        it("signs Content-Type and If-None-Match and carries no checksum of an empty body in the URL", async () => {
            const { uploadUrl } = json(
                await handler()(httpEvent("POST", "/uploads", { body: { contentType: "image/png" } })),
            );
            const query = new URL(uploadUrl).searchParams;
            expect(query.get("X-Amz-SignedHeaders")).to.equal("content-type;host;if-none-match");
            expect(query.get("X-Amz-Expires")).to.equal("300");
            expect(
                [...query.keys()].filter(
                    (name) =>
                        name.toLowerCase().startsWith("x-amz-checksum") || name === "x-amz-sdk-checksum-algorithm",
                ),
            ).to.deep.equal([]);
        });

        it("lets the browser PUT the bytes, stored with the signed Content-Type", async () => {
            const { key, uploadUrl, headers } = json(
                await handler()(httpEvent("POST", "/uploads", { body: { contentType: "image/png" } })),
            );
            const put = await fetch(uploadUrl, { method: "PUT", headers, body: png });
            expect(put.status, await put.clone().text()).to.equal(200);
            const stored = await s3.head(staged(key));
            expect(stored?.ContentType).to.equal("image/png");
            expect(stored?.ContentLength).to.equal(png.length);
        });

        it("signs the declared size as content-length (and If-None-Match), with no checksum, and returns both headers to send", async () => {
            const body = json(
                await handler()(
                    httpEvent("POST", "/uploads", { body: { contentType: "image/png", size: png.length } }),
                ),
            );
            const query = new URL(body.uploadUrl).searchParams;
            expect(query.get("X-Amz-SignedHeaders")).to.equal("content-length;content-type;host;if-none-match");
            expect([...query.keys()].filter((name) => name.toLowerCase().includes("checksum"))).to.deep.equal([]);
            expect(body.headers).to.deep.equal({
                "Content-Type": "image/png",
                "If-None-Match": "*",
                "Content-Length": String(png.length),
            });
        });

        it("caps a PUT at the declared size: the exact file passes the gate's signature check, another length is refused", async () => {
            const exact = json(
                await handler()(
                    httpEvent("POST", "/uploads", { body: { contentType: "image/png", size: png.length } }),
                ),
            );
            const put = await fetch(exact.uploadUrl, {
                method: "PUT",
                headers: { "Content-Type": "image/png", "If-None-Match": "*" },
                body: png,
            });
            expect(put.status, await put.clone().text()).to.equal(200);
            expect((await s3.head(staged(exact.key)))?.ContentLength).to.equal(png.length);
            const small = json(
                await handler()(httpEvent("POST", "/uploads", { body: { contentType: "image/png", size: 10 } })),
            );
            const bigger = await fetch(small.uploadUrl, {
                method: "PUT",
                headers: { "Content-Type": "image/png", "If-None-Match": "*" },
                body: png,
            });
            expect(await s3ErrorOf(bigger)).to.include({ status: 403, code: "SignatureDoesNotMatch" });
            expect(await s3.head(staged(small.key))).to.equal(undefined);
        });

        it("refuses a PUT that leaves out the signed If-None-Match (an overwrite S3 would not check), and stores nothing", async () => {
            // https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html: If-None-Match: * → 412 when the key exists.
            const { key, uploadUrl } = json(
                await handler()(httpEvent("POST", "/uploads", { body: { contentType: "image/png" } })),
            );
            const put = await fetch(uploadUrl, { method: "PUT", headers: { "Content-Type": "image/png" }, body: png });
            expect(await s3ErrorOf(put)).to.include({ status: 403, code: "SignatureDoesNotMatch" });
            expect(await s3.head(staged(key))).to.equal(undefined);
        });

        it("refuses a declared size over maxUploadBytes, below 1 or not a whole number with 400, signing nothing", async () => {
            const sign = (size: unknown) =>
                handler({ maxUploadBytes: 1000 })(
                    httpEvent("POST", "/uploads", { body: { contentType: "image/png", size } }),
                );
            for (const [size, code] of [
                [1001, "too_large"],
                [0, "invalid_size"],
                [-5, "invalid_size"],
                [1.5, "invalid_size"],
                ["12", "invalid_size"],
                [null, "invalid_size"],
            ] as const) {
                const result = await sign(size);
                expect([result.statusCode, json(result).error?.code], String(size)).to.deep.equal([400, code]);
                expect(result.body).to.not.include("X-Amz-Signature");
            }
            expect((await sign(1000)).statusCode).to.equal(200);
        });

        it("signs a PUT without a declared size by default, and refuses it with 400 missing_size under requireUploadSize", async () => {
            const undeclared = httpEvent("POST", "/uploads", { body: { contentType: "image/png" } });
            expect((await handler()(undeclared)).statusCode).to.equal(200);
            const strict = await handler({ requireUploadSize: true })(undeclared);
            expect([strict.statusCode, json(strict).error.code]).to.deep.equal([400, "missing_size"]);
            expect(strict.body).to.not.include("X-Amz-Signature");
            const declared = await handler({ requireUploadSize: true })(
                httpEvent("POST", "/uploads", { body: { contentType: "image/png", size: 5 } }),
            );
            expect(declared.statusCode).to.equal(200);
        });

        it("maps an extension to its type (jpeg → .jpg, image/jpeg)", async () => {
            const body = json(await handler()(httpEvent("POST", "/uploads", { body: { extension: "JPEG" } })));
            expect(body.key).to.match(new RegExp(`^uploads/${UUID_V4}\\.jpg$`));
            expect(body.headers["Content-Type"]).to.equal("image/jpeg");
        });

        it("refuses a PUT with another Content-Type than signed, and stores nothing", async () => {
            const { key, uploadUrl } = json(
                await handler()(httpEvent("POST", "/uploads", { body: { contentType: "image/png" } })),
            );
            const put = await fetch(uploadUrl, {
                method: "PUT",
                headers: { "Content-Type": "text/html" },
                body: "<script>alert(1)</script>",
            });
            expect(await s3ErrorOf(put)).to.include({ status: 403, code: "SignatureDoesNotMatch" });
            expect(await s3.head(staged(key))).to.equal(undefined);
        });

        it("refuses an expired URL", async () => {
            const signedLongAgo = () => Date.now() - 301_000;
            const { key, uploadUrl, headers } = json(
                await handler({}, signedLongAgo)(httpEvent("POST", "/uploads", { body: { contentType: "image/png" } })),
            );
            const put = await fetch(uploadUrl, { method: "PUT", headers, body: png });
            expect(await s3ErrorOf(put)).to.deep.equal({
                status: 403,
                code: "AccessDenied",
                message: "Request has expired",
            });
            expect(await s3.head(staged(key))).to.equal(undefined);
        });

        it("never reuses a key", async () => {
            const keys = new Set<string>();
            for (let i = 0; i < 20; i++)
                keys.add(json(await handler()(httpEvent("POST", "/uploads", { body: { extension: "png" } }))).key);
            expect(keys.size).to.equal(20);
        });
    });

    describe("POST /uploads/form (presigned POST, size-capped)", () => {
        async function signForm(overrides: Partial<PresignSettings> = {}) {
            const result = await handler(overrides)(
                httpEvent("POST", "/uploads/form", { body: { contentType: "image/png" } }),
            );
            expect(result.statusCode).to.equal(200);
            return json(result);
        }
        function form(fields: Record<string, string>, file: Buffer, type = "image/png"): FormData {
            const data = new FormData();
            for (const [name, value] of Object.entries(fields)) data.append(name, value);
            data.append("file", new Blob([new Uint8Array(file)], { type }), "photo.png");
            return data;
        }

        it("answers the key, URL, fields, cap, expiry and CDN URL", async () => {
            const body = await signForm();
            expect(body.key).to.match(new RegExp(`^uploads/${UUID_V4}\\.png$`));
            expect(body.uploadUrl).to.match(new RegExp(`/${TEST_BUCKET}$`));
            expect(body.maxBytes).to.equal(10 * 1024 * 1024);
            expect(body.url).to.equal(`${CDN}/${body.key}`);
            expect(body.fields).to.include({
                key: staged(body.key),
                "Content-Type": "image/png",
                success_action_status: "201",
            });
            expect(Date.parse(body.expiresAt)).to.be.greaterThan(Date.now());
        });

        it("signs a policy pinning exactly the bucket, key, Content-Type, size range and 201", async () => {
            const { key, fields } = await signForm({ maxUploadBytes: 5000 });
            const policy = JSON.parse(Buffer.from(fields.Policy, "base64").toString("utf8"));
            const expiresIn = Date.parse(policy.expiration) - Date.now();
            expect(expiresIn).to.be.within(290_000, 301_000);
            const conditions = policy.conditions.filter(
                (c: any) => Array.isArray(c) || !Object.keys(c)[0].startsWith("X-Amz-"),
            );
            expect(conditions).to.have.deep.members([
                ["content-length-range", 1, 5000],
                { "Content-Type": "image/png" },
                { success_action_status: "201" },
                { bucket: TEST_BUCKET },
                { key: staged(key) },
            ]);
            expect(conditions).to.have.length(5);
            const signing = policy.conditions.filter(
                (c: any) => !Array.isArray(c) && Object.keys(c)[0].startsWith("X-Amz-"),
            );
            expect(signing.map((c: object) => Object.keys(c)[0])).to.have.members([
                "X-Amz-Algorithm",
                "X-Amz-Credential",
                "X-Amz-Date",
            ]);
        });

        it("accepts the form upload with 201 and stores the signed Content-Type", async () => {
            const { key, uploadUrl, fields } = await signForm();
            const post = await fetch(uploadUrl, { method: "POST", body: form(fields, png) });
            expect(post.status, await post.clone().text()).to.equal(201);
            expect((await s3.head(staged(key)))?.ContentType).to.equal("image/png");
        });

        it("refuses a file over maxUploadBytes with EntityTooLarge, and stores nothing", async () => {
            const { key, uploadUrl, fields } = await signForm({ maxUploadBytes: png.length - 1 });
            const post = await fetch(uploadUrl, { method: "POST", body: form(fields, png) });
            expect(await s3ErrorOf(post)).to.include({ status: 400, code: "EntityTooLarge" });
            expect(await s3.head(staged(key))).to.equal(undefined);
        });

        it("refuses an empty file with EntityTooSmall", async () => {
            const { uploadUrl, fields } = await signForm();
            const post = await fetch(uploadUrl, { method: "POST", body: form(fields, Buffer.alloc(0)) });
            expect(await s3ErrorOf(post)).to.include({ status: 400, code: "EntityTooSmall" });
        });

        it("refuses a form whose Content-Type or key differs from the policy", async () => {
            const { uploadUrl, fields } = await signForm();
            const wrongType = await fetch(uploadUrl, {
                method: "POST",
                body: form({ ...fields, "Content-Type": "text/html" }, png),
            });
            expect(await s3ErrorOf(wrongType)).to.include({ status: 403, code: "AccessDenied" });
            const otherKey = await fetch(uploadUrl, {
                method: "POST",
                body: form({ ...fields, key: "uploads/chosen-by-me.png" }, png),
            });
            expect(await s3ErrorOf(otherKey)).to.include({ status: 403, code: "AccessDenied" });
            expect(await s3.head("uploads/chosen-by-me.png")).to.equal(undefined);
        });
    });

    describe("GET /uploads (the client of seed article 000)", () => {
        it("answers { presignedUrl, key } signed for image/png when sent x-extension: png and Content-Type: application/png", async () => {
            const result = await handler()(
                httpEvent("GET", "/uploads", { headers: { "x-extension": "png", "content-type": "application/png" } }),
            );
            expect(result.statusCode).to.equal(200);
            const body = json(result);
            expect(body.key).to.match(new RegExp(`^uploads/${UUID_V4}\\.png$`));
            expect(new URL(body.presignedUrl).searchParams.get("X-Amz-SignedHeaders")).to.equal(
                "content-type;host;if-none-match",
            );
            const put = await fetch(body.presignedUrl, { method: "PUT", headers: body.headers, body: png });
            expect(put.status).to.equal(200);
            expect((await s3.head(staged(body.key)))?.ContentType).to.equal("image/png");
        });

        it("takes an optional declared size in x-content-length: signed as content-length, refused over the cap or malformed", async () => {
            const seed = (headers: Record<string, string>, overrides: Partial<PresignSettings> = {}) =>
                handler({ maxUploadBytes: png.length, ...overrides })(
                    httpEvent("GET", "/uploads", { headers: { "x-extension": "png", ...headers } }),
                );
            const body = json(await seed({ "x-content-length": String(png.length) }));
            expect(new URL(body.presignedUrl).searchParams.get("X-Amz-SignedHeaders")).to.equal(
                "content-length;content-type;host;if-none-match",
            );
            const put = await fetch(body.presignedUrl, {
                method: "PUT",
                headers: { "Content-Type": "image/png", "If-None-Match": "*" },
                body: png,
            });
            expect(put.status, await put.clone().text()).to.equal(200);
            for (const [value, code] of [
                [String(png.length + 1), "too_large"],
                ["0", "invalid_size"],
                ["1e3", "invalid_size"],
                ["12.0", "invalid_size"],
            ]) {
                const refused = await seed({ "x-content-length": value });
                expect([refused.statusCode, json(refused).error.code], value).to.deep.equal([400, code]);
            }
            const strict = await seed({}, { requireUploadSize: true });
            expect([strict.statusCode, json(strict).error.code]).to.deep.equal([400, "missing_size"]);
        });

        it("does not store the seed client's application/png: that PUT is refused", async () => {
            const body = json(await handler()(httpEvent("GET", "/uploads", { headers: { "x-extension": "png" } })));
            const put = await fetch(body.presignedUrl, {
                method: "PUT",
                headers: { "Content-Type": "application/png" },
                body: png,
            });
            expect(await s3ErrorOf(put)).to.include({ status: 403, code: "SignatureDoesNotMatch" });
        });
    });
});
