import { expect } from "chai";
import { randomBytes } from "crypto";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { createPresignHandler } from "../../functions/presign/presign";
import { maxPartNumber } from "../../functions/presign/companionRoutes";
import { PresignSettings } from "../../functions/presign/settings";
import { HttpResult } from "../../functions/shared/http";
import { httpEvent } from "../support/events";
import { s3ErrorOf, startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";

const CDN = "https://d111.cloudfront.net";
const MiB = 1024 * 1024;
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

/** Uppy's S3 plugin routes (companionEndpoint), as @uppy/aws-s3 6's CompanionS3 calls them (functions/presign/companionRoutes.ts). */
describe("Companion-compatible /s3 routes of the presign handler, against the loopback S3", () => {
    let s3: TestS3;
    const fiveMiB = randomBytes(5 * MiB);
    const tail = randomBytes(4321);
    const settings = (overrides: Partial<PresignSettings> = {}): PresignSettings => ({
        bucket: TEST_BUCKET,
        allowedContentTypes: ["image/jpeg", "image/png"],
        maxUploadBytes: 12 * MiB,
        expiresIn: 300,
        cdnUrl: CDN,
        requireAuth: false,
        ...overrides,
    });
    const handler = (overrides: Partial<PresignSettings> = {}, now?: () => number) =>
        createPresignHandler({ s3: s3.s3, settings: settings(overrides), now, log: () => undefined });
    const json = (result: HttpResult) => JSON.parse(result.body);
    const call = async (
        method: string,
        path: string,
        options: {
            body?: unknown;
            claims?: Record<string, unknown>;
            overrides?: Partial<PresignSettings>;
            now?: () => number;
        } = {},
    ) => {
        const result = await handler(
            options.overrides,
            options.now,
        )(httpEvent(method, path, { body: options.body, claims: options.claims }));
        return { status: result.statusCode, body: json(result) };
    };
    const q = (key: string) => `?${new URLSearchParams({ key })}`;
    /** POST /s3/multipart as Uppy sends it. */
    const create = (
        options: { claims?: Record<string, unknown>; overrides?: Partial<PresignSettings>; metadata?: object } = {},
    ) =>
        call("POST", "/s3/multipart", {
            body: { filename: "photo.jpg", type: "image/jpeg", metadata: options.metadata ?? { name: "photo.jpg" } },
            ...options,
        });
    /** Signs a part and PUTs the bytes as Uppy does; answers the part's ETag. */
    const sendPart = async (
        key: string,
        uploadId: string,
        partNumber: number,
        bytes: Buffer,
        claims?: Record<string, unknown>,
    ) => {
        const signed = await call("GET", `/s3/multipart/${encodeURIComponent(uploadId)}/${partNumber}${q(key)}`, {
            claims,
        });
        expect(signed.status, JSON.stringify(signed.body)).to.equal(200);
        const put = await fetch(signed.body.url, { method: "PUT", body: bytes });
        expect(put.status, await put.clone().text()).to.equal(200);
        return put.headers.get("etag")!;
    };

    before(async () => {
        s3 = await startTestS3();
    });
    after(() => s3.close());

    describe("GET /s3/params (a file Uppy sends whole)", () => {
        it("answers { method: POST, url, fields, expires } with fields.key a fresh staging key, and the form upload is accepted", async () => {
            const { status, body } = await call(
                "GET",
                "/s3/params?filename=cat.png&type=image%2Fpng&metadata%5Bname%5D=cat.png",
            );
            expect(status).to.equal(200);
            expect(body.method).to.equal("POST");
            expect(body.expires).to.equal(300);
            expect(body.fields.key).to.match(new RegExp(`^incoming/${UUID}\\.png$`));
            expect(body.key).to.equal(body.fields.key.replace(/^incoming\//, "uploads/"));
            const form = new FormData();
            for (const [name, value] of Object.entries(body.fields as Record<string, string>)) form.set(name, value);
            form.set("file", new Blob([new Uint8Array(tail)]));
            const post = await fetch(body.url, { method: "POST", body: form });
            expect(post.status, await post.clone().text()).to.equal(201);
            expect((await s3.head(body.fields.key))?.ContentLength).to.equal(tail.length);
        });

        it("a type outside allowedContentTypes → 400 type_not_allowed; a declared metadata[size] over maxUploadBytes → 400 too_large", async () => {
            const gif = await call("GET", "/s3/params?filename=a.gif&type=image%2Fgif");
            expect([gif.status, gif.body.error.code]).to.deep.equal([400, "type_not_allowed"]);
            const big = await call(
                "GET",
                `/s3/params?filename=a.png&type=image%2Fpng&metadata%5Bsize%5D=${12 * MiB + 1}`,
            );
            expect([big.status, big.body.error.code]).to.deep.equal([400, "too_large"]);
        });
    });

    describe("POST /s3/multipart (create)", () => {
        it("answers { key, uploadId }: the key a fresh incoming/<uuid>.<ext> chosen here (never the filename)", async () => {
            const { status, body } = await create();
            expect(status).to.equal(200);
            expect(body.key).to.match(new RegExp(`^incoming/${UUID}\\.jpg$`));
            expect(body.uploadId).to.be.a("string").and.not.equal("");
            expect(body.finalKey).to.equal(body.key.replace(/^incoming\//, "uploads/"));
        });

        it("checks the type against allowedContentTypes (400 type_not_allowed), and refuses an unknown type and a missing one", async () => {
            for (const [type, code] of [
                ["image/gif", "type_not_allowed"],
                ["text/html", "unknown_type"],
                [undefined, "missing_type"],
            ]) {
                const { status, body } = await call("POST", "/s3/multipart", { body: { filename: "x", type } });
                expect([status, body.error.code], String(type)).to.deep.equal([400, code]);
            }
        });

        it("checks a declared total (metadata.size or size) against maxUploadBytes: over → 400 too_large; with requireUploadSize none → 400 missing_size", async () => {
            const over = await create({ metadata: { size: 12 * MiB + 1 } });
            expect([over.status, over.body.error.code]).to.deep.equal([400, "too_large"]);
            const exact = await create({ metadata: { size: 12 * MiB } });
            expect(exact.status).to.equal(200);
            const overTop = await call("POST", "/s3/multipart", { body: { type: "image/jpeg", size: 12 * MiB + 1 } });
            expect(overTop.body.error.code).to.equal("too_large");
            const undeclared = await create({ overrides: { requireUploadSize: true } });
            expect([undeclared.status, undeclared.body.error.code]).to.deep.equal([400, "missing_size"]);
        });

        it("refuses unknown fields and a metadata that is not an object", async () => {
            const unknown = await call("POST", "/s3/multipart", {
                body: { type: "image/jpeg", key: "uploads/mine.jpg" },
            });
            expect([unknown.status, unknown.body.error.code]).to.deep.equal([400, "unknown_field"]);
            const metadata = await call("POST", "/s3/multipart", { body: { type: "image/jpeg", metadata: [1] } });
            expect([metadata.status, metadata.body.error.code]).to.deep.equal([400, "invalid_body"]);
        });
    });

    describe("GET /s3/multipart/<uploadId>/<partNumber> (sign a part)", () => {
        it("answers { url, expires } for a part URL S3 accepts, whose answer carries the part's ETag", async () => {
            const { body } = await create();
            const signed = await call("GET", `/s3/multipart/${encodeURIComponent(body.uploadId)}/1${q(body.key)}`);
            expect(signed.body.expires).to.equal(300);
            const url = new URL(signed.body.url);
            expect(url.searchParams.get("partNumber")).to.equal("1");
            expect(url.searchParams.get("uploadId")).to.equal(body.uploadId);
            expect(url.searchParams.get("X-Amz-Expires")).to.equal("300");
            expect(await sendPart(body.key, body.uploadId, 2, tail)).to.match(/^"[0-9a-f]{32}"$/);
        });

        it("signs part numbers 1..ceil(maxUploadBytes / 5 MiB) only: 0, the next one and non-numbers → 400 invalid_part_number", async () => {
            expect(maxPartNumber(12 * MiB)).to.equal(3);
            expect(maxPartNumber(1024 ** 4)).to.equal(10_000);
            const { body } = await create();
            const sign = (part: string) =>
                call("GET", `/s3/multipart/${encodeURIComponent(body.uploadId)}/${part}${q(body.key)}`);
            expect((await sign("3")).status).to.equal(200);
            for (const part of ["0", "4", "10000", "1.5", "-1", "x"]) {
                const { status, body: answer } = await sign(part);
                expect([status, answer.error.code], part).to.deep.equal([400, "invalid_part_number"]);
            }
        });

        it("a part URL past its expiry is refused by S3 (403), as single-upload URLs are", async () => {
            const { body } = await create();
            const signedAt = Date.now() - 301_000;
            const signed = await call("GET", `/s3/multipart/${encodeURIComponent(body.uploadId)}/1${q(body.key)}`, {
                now: () => signedAt,
            });
            const put = await fetch(signed.body.url, { method: "PUT", body: tail });
            expect(await s3ErrorOf(put)).to.include({ status: 403, code: "AccessDenied" });
        });
    });

    describe("list, complete, abort", () => {
        it("GET /s3/multipart/<uploadId> lists the uploaded parts as [{ PartNumber, ETag, Size }] (what Uppy resumes from)", async () => {
            const { body } = await create();
            const first = await sendPart(body.key, body.uploadId, 1, fiveMiB);
            const listed = await call("GET", `/s3/multipart/${encodeURIComponent(body.uploadId)}${q(body.key)}`);
            expect(listed.status).to.equal(200);
            expect(listed.body).to.deep.equal([{ PartNumber: 1, ETag: first, Size: 5 * MiB }]);
        });

        it("POST .../complete stores the parts as one object and answers { location, key } with the CDN URL and final key", async () => {
            const { body } = await create();
            const first = await sendPart(body.key, body.uploadId, 1, fiveMiB);
            const second = await sendPart(body.key, body.uploadId, 2, tail);
            const done = await call(
                "POST",
                `/s3/multipart/${encodeURIComponent(body.uploadId)}/complete${q(body.key)}`,
                {
                    body: {
                        parts: [
                            { PartNumber: 1, ETag: first },
                            { PartNumber: 2, ETag: second },
                        ],
                    },
                },
            );
            expect(done.status, JSON.stringify(done.body)).to.equal(200);
            expect(done.body.key).to.equal(body.finalKey);
            expect(done.body.location).to.equal(`${CDN}/${body.finalKey}`);
            const stored = await s3.s3.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: body.key }));
            expect(
                Buffer.from(await stored.Body!.transformToByteArray()).equals(Buffer.concat([fiveMiB, tail])),
            ).to.equal(true);
            expect(stored.ContentType).to.equal("image/jpeg");
        });

        it("complete adds up the parts' real sizes: over maxUploadBytes → 400 too_large and the upload is aborted", async () => {
            const overrides = { maxUploadBytes: 6 * MiB };
            const { body } = await create({ overrides });
            const first = await sendPart(body.key, body.uploadId, 1, fiveMiB);
            const second = await sendPart(body.key, body.uploadId, 2, randomBytes(2 * MiB));
            const done = await call(
                "POST",
                `/s3/multipart/${encodeURIComponent(body.uploadId)}/complete${q(body.key)}`,
                {
                    overrides,
                    body: {
                        parts: [
                            { PartNumber: 1, ETag: first },
                            { PartNumber: 2, ETag: second },
                        ],
                    },
                },
            );
            expect([done.status, done.body.error.code]).to.deep.equal([400, "too_large"]);
            expect(await s3.head(body.key)).to.equal(undefined);
            const listed = await call("GET", `/s3/multipart/${encodeURIComponent(body.uploadId)}${q(body.key)}`);
            expect([listed.status, listed.body.error.code]).to.deep.equal([404, "unknown_upload"]);
        });

        it("complete refuses a malformed parts list (400 invalid_parts) and parts S3 refuses (a wrong ETag → 400 invalid_parts)", async () => {
            const { body } = await create();
            await sendPart(body.key, body.uploadId, 1, tail);
            const path = `/s3/multipart/${encodeURIComponent(body.uploadId)}/complete${q(body.key)}`;
            for (const parts of [
                [],
                [{ PartNumber: 0, ETag: '"aa"' }],
                [{ PartNumber: 1 }],
                "1",
                [{ PartNumber: 4, ETag: '"aa"' }],
            ]) {
                const { status, body: answer } = await call("POST", path, { body: { parts } });
                expect([status, answer.error.code], JSON.stringify(parts)).to.deep.equal([400, "invalid_parts"]);
            }
            const wrong = await call("POST", path, {
                body: { parts: [{ PartNumber: 1, ETag: `"${"0".repeat(32)}"` }] },
            });
            expect([wrong.status, wrong.body.error.code]).to.deep.equal([400, "invalid_parts"]);
        });

        it("DELETE /s3/multipart/<uploadId> aborts: answers {}, then the upload is unknown (404 unknown_upload)", async () => {
            const { body } = await create();
            await sendPart(body.key, body.uploadId, 1, tail);
            const path = `/s3/multipart/${encodeURIComponent(body.uploadId)}${q(body.key)}`;
            const aborted = await call("DELETE", path);
            expect([aborted.status, aborted.body]).to.deep.equal([200, {}]);
            const listed = await call("GET", path);
            expect([listed.status, listed.body.error.code]).to.deep.equal([404, "unknown_upload"]);
            const again = await call("DELETE", path);
            expect(again.status).to.equal(404);
        });
    });

    describe("only the caller's own uploads", () => {
        const alice = { sub: "alice" };
        const bob = { sub: "bob" };
        const auth = { requireAuth: true };

        it("with auth, keys go under the caller's prefix; another caller's key is refused (403 not_your_upload) by every route", async () => {
            const { body } = await create({ claims: alice, overrides: auth });
            expect(body.key).to.match(new RegExp(`^incoming/alice/${UUID}\\.jpg$`));
            const id = encodeURIComponent(body.uploadId);
            for (const [method, path, request] of [
                ["GET", `/s3/multipart/${id}/1${q(body.key)}`, undefined],
                ["GET", `/s3/multipart/${id}${q(body.key)}`, undefined],
                ["POST", `/s3/multipart/${id}/complete${q(body.key)}`, { parts: [{ PartNumber: 1, ETag: '"aa"' }] }],
                ["DELETE", `/s3/multipart/${id}${q(body.key)}`, undefined],
            ] as const) {
                const { status, body: answer } = await call(method, path, {
                    claims: bob,
                    overrides: auth,
                    body: request,
                });
                expect([status, answer.error.code], `${method} ${path}`).to.deep.equal([403, "not_your_upload"]);
            }
            // Alice's own calls still work: Bob's attempts changed nothing.
            const listed = await call("GET", `/s3/multipart/${id}${q(body.key)}`, { claims: alice, overrides: auth });
            expect([listed.status, listed.body]).to.deep.equal([200, []]);
        });

        it("without auth, a key with an owner segment is not one this API hands out to the caller (403)", async () => {
            const { body } = await create({ claims: alice, overrides: auth });
            const listed = await call("GET", `/s3/multipart/${encodeURIComponent(body.uploadId)}${q(body.key)}`);
            expect([listed.status, listed.body.error.code]).to.deep.equal([403, "not_your_upload"]);
        });

        it("an uploadId that belongs to another key is refused: list, complete, abort → 404; its signed part URL → S3 404 NoSuchUpload", async () => {
            const mine = (await create()).body;
            const other = (await create()).body;
            const id = encodeURIComponent(other.uploadId);
            const listed = await call("GET", `/s3/multipart/${id}${q(mine.key)}`);
            expect([listed.status, listed.body.error.code]).to.deep.equal([404, "unknown_upload"]);
            const done = await call("POST", `/s3/multipart/${id}/complete${q(mine.key)}`, {
                body: { parts: [{ PartNumber: 1, ETag: `"${"0".repeat(32)}"` }] },
            });
            expect([done.status, done.body.error.code]).to.deep.equal([404, "unknown_upload"]);
            const aborted = await call("DELETE", `/s3/multipart/${id}${q(mine.key)}`);
            expect([aborted.status, aborted.body.error.code]).to.deep.equal([404, "unknown_upload"]);
            const signed = await call("GET", `/s3/multipart/${id}/1${q(mine.key)}`);
            const put = await fetch(signed.body.url, { method: "PUT", body: tail });
            expect(await s3ErrorOf(put)).to.include({ status: 404, code: "NoSuchUpload" });
            // The other upload is untouched.
            const theirs = await call("GET", `/s3/multipart/${id}${q(other.key)}`);
            expect([theirs.status, theirs.body]).to.deep.equal([200, []]);
        });

        it("a key that is not a staging key this API hands out → 400 invalid_key; none → 400 missing_key; a bad uploadId → 400", async () => {
            const { body } = await create();
            const id = encodeURIComponent(body.uploadId);
            for (const key of [
                `uploads/${body.key.slice("incoming/".length)}`,
                "incoming/../status/x.json",
                "status/a.json",
            ]) {
                const { status, body: answer } = await call("GET", `/s3/multipart/${id}${q(key)}`);
                expect([status, answer.error.code], key).to.deep.equal([400, "invalid_key"]);
                expect(answer.error.message).to.not.include("<");
            }
            const none = await call("GET", `/s3/multipart/${id}`);
            expect([none.status, none.body.error.code]).to.deep.equal([400, "missing_key"]);
            const bad = await call("GET", `/s3/multipart/${encodeURIComponent("a/b<c")}${q(body.key)}`);
            expect([bad.status, bad.body.error.code]).to.deep.equal([400, "invalid_upload_id"]);
        });
    });

    it("other methods → 405 with Allow; unknown /s3 paths → 404", async () => {
        const wrong = await call("PUT", "/s3/multipart");
        expect([wrong.status, wrong.body.error.code]).to.deep.equal([405, "method_not_allowed"]);
        const unknown = await call("GET", "/s3/sts");
        expect(unknown.status).to.equal(404);
    });
});
