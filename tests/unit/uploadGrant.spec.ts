import { expect } from "chai";
import { createHmac, randomBytes } from "crypto";
import { GenerateMacCommand } from "@aws-sdk/client-kms";
import { createPresignHandler } from "../../functions/presign/presign";
import { kmsGrantKey } from "../../functions/presign/grantKey";
import { PresignSettings } from "../../functions/presign/settings";
import { grantPath, redactGrant, signGrant, verifyGrant } from "../../functions/presign/uploadGrant";
import { HttpError } from "../../functions/shared/http";
import { httpEvent } from "../support/events";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";

const MiB = 1024 * 1024;
const KEY = randomBytes(32);
/** Now, in whole seconds: presigned part URLs are checked by the loopback S3 against its real clock. */
const T0 = Math.floor(Date.now() / 1000) * 1000;

/** The HttpError a call throws (code and status), or a failure when it throws none. */
function refusal(work: () => unknown): { status: number; code: string } {
    try {
        work();
    } catch (error) {
        if (error instanceof HttpError) return { status: error.statusCode, code: error.code };
        throw error;
    }
    throw new Error("expected a refusal");
}

/** Upload grants: a JWT traded for an endpoint Uppy 6 can use (functions/presign/uploadGrant.ts, grantRoutes.ts). */
describe("upload grants (Uppy 6 sends no Authorization header to companionEndpoint)", () => {
    describe("the token (HMAC-SHA256, bound to a prefix, expiring)", () => {
        const grant = { owner: "auth0.7Calice", expiresAt: T0 / 1000 + 300 };

        it("verifies what it signed, until its expiry second: then 401 grant_expired", () => {
            const token = signGrant(KEY, grant);
            expect(token).to.match(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/); // one URL path segment
            expect(verifyGrant(KEY, token, T0)).to.deep.equal(grant);
            expect(verifyGrant(KEY, token, grant.expiresAt * 1000 - 1)).to.deep.equal(grant);
            expect(refusal(() => verifyGrant(KEY, token, grant.expiresAt * 1000))).to.deep.equal({
                status: 401,
                code: "grant_expired",
            });
        });

        it("refuses another owner or a later expiry under the old MAC, a changed MAC, and another key's grant: 401 invalid_grant", () => {
            const token = signGrant(KEY, grant);
            const [, mac] = token.split(".");
            const forge = (payload: object) => `${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${mac}`;
            const invalid = { status: 401, code: "invalid_grant" };
            expect(refusal(() => verifyGrant(KEY, forge({ v: 1, o: "bob", x: grant.expiresAt }), T0))).to.deep.equal(
                invalid,
            );
            expect(
                refusal(() => verifyGrant(KEY, forge({ v: 1, o: grant.owner, x: grant.expiresAt + 3600 }), T0)),
            ).to.deep.equal(invalid);
            const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
            expect(refusal(() => verifyGrant(KEY, flipped, T0))).to.deep.equal(invalid);
            // Every other spelling of the last character, including those that decode to the same 32 bytes (the
            // two bits base64url leaves unused): a grant altered in its text is refused, whatever it decodes to.
            const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            for (const last of alphabet.replace(token.slice(-1), ""))
                expect(
                    refusal(() => verifyGrant(KEY, `${token.slice(0, -1)}${last}`, T0)),
                    last,
                ).to.deep.equal(invalid);
            expect(refusal(() => verifyGrant(randomBytes(32), token, T0))).to.deep.equal(invalid);
            for (const junk of ["", "abc", `${token}.x`, "a".repeat(2000), "../s3/params"])
                expect(
                    refusal(() => verifyGrant(KEY, junk, T0)),
                    junk.slice(0, 20),
                ).to.deep.equal(invalid);
        });

        it("is found in /g/<grant>/… paths and never shown in a log path", () => {
            expect(grantPath("/g/abc.def/s3/multipart")).to.deep.equal({ token: "abc.def", rest: "/s3/multipart" });
            expect(grantPath("/s3/multipart")).to.equal(undefined);
            expect(redactGrant("/g/abc.def/s3/params")).to.equal("/g/…/s3/params");
            expect(redactGrant("/uploads")).to.equal("/uploads");
        });
    });

    describe("the key on AWS: derived from the stack's HMAC KMS key (functions/presign/grantKey.ts)", () => {
        const fakeKms = (fail = 0) => {
            const calls: GenerateMacCommand[] = [];
            const kmsKey = randomBytes(32);
            return {
                calls,
                send: async (command: GenerateMacCommand) => {
                    calls.push(command);
                    if (calls.length <= fail)
                        throw Object.assign(new Error("throttled"), { name: "ThrottlingException" });
                    const { Message } = command.input;
                    return {
                        Mac: createHmac("sha256", kmsKey)
                            .update(Message as Uint8Array)
                            .digest(),
                    };
                },
            };
        };

        it("asks KMS for HMAC_SHA_256 of a fixed label under the key, once for any number of grants", async () => {
            const kms = fakeKms();
            const source = kmsGrantKey(kms as never, "arn:aws:kms:us-east-1:123456789012:key/grant");
            const [first, second] = await Promise.all([source(), source()]);
            expect(first.equals(second)).to.equal(true);
            expect(first).to.have.length(32);
            expect(kms.calls).to.have.length(1);
            expect(kms.calls[0].input).to.deep.include({
                KeyId: "arn:aws:kms:us-east-1:123456789012:key/grant",
                MacAlgorithm: "HMAC_SHA_256",
            });
        });

        it("a failed KMS call fails that request only: the next one asks again", async () => {
            const kms = fakeKms(1);
            const source = kmsGrantKey(kms as never, "key");
            let failed = false;
            await source().catch(() => {
                failed = true;
            });
            expect(failed).to.equal(true);
            expect(await source()).to.have.length(32);
            expect(kms.calls).to.have.length(2);
        });
    });

    describe("the routes, against the loopback S3", () => {
        let s3: TestS3;
        let now = T0;
        let logLines: string[] = [];
        const settings = (overrides: Partial<PresignSettings> = {}): PresignSettings => ({
            bucket: TEST_BUCKET,
            allowedContentTypes: ["image/jpeg"],
            maxUploadBytes: 12 * MiB,
            expiresIn: 300,
            cdnUrl: "https://cdn.example",
            requireAuth: true,
            ...overrides,
        });
        const handler = (
            overrides: Partial<PresignSettings> = {},
            grantKey: (() => Promise<Buffer>) | null = async () => KEY,
        ) =>
            createPresignHandler({
                s3: s3.s3,
                settings: settings(overrides),
                now: () => now,
                grantKey: grantKey ?? undefined,
                log: (line) => logLines.push(line),
            });
        const call = async (
            method: string,
            path: string,
            options: { body?: unknown; claims?: Record<string, unknown>; handle?: ReturnType<typeof handler> } = {},
        ) => {
            const event = httpEvent(method, path, options);
            event.stageVariables = { apiUrl: "https://api.example" };
            const result = await (options.handle ?? handler())(event);
            return { status: result.statusCode, body: JSON.parse(result.body) };
        };
        /** POST /uploads/grant as a caller: the path part of the endpoint it answers. */
        const grantFor = async (sub: string) => {
            const answer = await call("POST", "/uploads/grant", { claims: { sub } });
            expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
            return new URL(answer.body.companionEndpoint).pathname;
        };
        const createUnder = (grant: string, body: object = { type: "image/jpeg", metadata: { size: 1000 } }) =>
            call("POST", `${grant}/s3/multipart`, { body });

        before(async () => {
            s3 = await startTestS3();
        });
        after(() => s3.close());
        beforeEach(() => {
            now = T0;
            logLines = [];
        });

        it("POST /uploads/grant answers an endpoint under the API that lives uploadExpiresIn seconds; without a subject 401, without an authorizer 404, without a key 500", async () => {
            const answer = await call("POST", "/uploads/grant", { claims: { sub: "auth0|alice" } });
            expect(answer.status).to.equal(200);
            expect(answer.body.companionEndpoint).to.match(
                /^https:\/\/api\.example\/g\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/,
            );
            expect(answer.body).to.deep.include({ expiresAt: new Date(T0 + 300_000).toISOString(), expiresIn: 300 });
            expect((await call("POST", "/uploads/grant")).status).to.equal(401);
            const open = handler({ requireAuth: false });
            expect((await call("POST", "/uploads/grant", { claims: { sub: "a" }, handle: open })).status).to.equal(404);
            const keyless = handler({}, null);
            expect(await call("POST", "/uploads/grant", { claims: { sub: "a" }, handle: keyless })).to.deep.equal({
                status: 500,
                body: {
                    error: { code: "misconfigured", message: "No key to sign upload grants with; check GRANT_KEY_ID" },
                },
            });
            expect((await call("GET", "/uploads/grant", { claims: { sub: "a" } })).status).to.equal(405);
        });

        it("under a grant, Uppy's multipart upload runs with no JWT and lands under the caller's prefix", async () => {
            const grant = await grantFor("auth0|alice");
            const created = await createUnder(grant, { type: "image/jpeg", metadata: { size: 6 * MiB } });
            expect(created.status, JSON.stringify(created.body)).to.equal(200);
            const { key, uploadId } = created.body;
            expect(key).to.match(/^incoming\/auth0\.7Calice\/[0-9a-f-]{36}\.jpg$/);
            const q = `?${new URLSearchParams({ key })}`;
            const etags: string[] = [];
            for (const [index, bytes] of [randomBytes(5 * MiB), randomBytes(1000)].entries()) {
                const signed = await call(
                    "GET",
                    `${grant}/s3/multipart/${encodeURIComponent(uploadId)}/${index + 1}${q}`,
                );
                expect(signed.status).to.equal(200);
                const put = await fetch(signed.body.url, { method: "PUT", body: bytes });
                expect(put.status, await put.clone().text()).to.equal(200);
                etags.push(put.headers.get("etag")!);
            }
            const listed = await call("GET", `${grant}/s3/multipart/${encodeURIComponent(uploadId)}${q}`);
            expect(listed.body.map((part: { PartNumber: number }) => part.PartNumber)).to.deep.equal([1, 2]);
            const done = await call("POST", `${grant}/s3/multipart/${encodeURIComponent(uploadId)}/complete${q}`, {
                body: { parts: etags.map((ETag, index) => ({ PartNumber: index + 1, ETag })) },
            });
            expect(done.status, JSON.stringify(done.body)).to.equal(200);
            expect(done.body.key).to.match(/^uploads\/auth0\.7Calice\/[0-9a-f-]{36}\.jpg$/);
            expect(await s3.head(key)).to.not.equal(undefined);
            // The grant is a credential: the log lines name the routes without it.
            expect(logLines.join("\n")).to.not.include(grant.slice(3));
            expect(logLines.join("\n")).to.include('"path":"/g/…/s3/multipart"');
        });

        it("a grant reaches only its own prefix: another caller's upload is 403 not_your_upload", async () => {
            const bob = await grantFor("bob");
            const created = await createUnder(bob);
            const { key, uploadId } = created.body;
            expect(key).to.match(/^incoming\/bob\//);
            const alice = await grantFor("alice");
            const q = `?${new URLSearchParams({ key })}`;
            for (const [method, path] of [
                ["GET", `${alice}/s3/multipart/${encodeURIComponent(uploadId)}/1${q}`],
                ["GET", `${alice}/s3/multipart/${encodeURIComponent(uploadId)}${q}`],
                ["DELETE", `${alice}/s3/multipart/${encodeURIComponent(uploadId)}${q}`],
            ])
                expect((await call(method, path)).body.error.code, `${method} ${path}`).to.equal("not_your_upload");
            expect((await call("GET", `${alice}/s3/multipart/${encodeURIComponent(uploadId)}/1${q}`)).status).to.equal(
                403,
            );
        });

        it("an altered or expired grant is 401 on every route, before anything is signed", async () => {
            const grant = await grantFor("alice");
            const altered = `${grant.slice(0, -1)}${grant.endsWith("A") ? "B" : "A"}`;
            expect((await createUnder(altered)).body.error.code).to.equal("invalid_grant");
            expect((await call("GET", `${altered}/s3/params?type=image/jpeg`)).status).to.equal(401);
            now = T0 + 300_000;
            expect(await createUnder(grant)).to.deep.include({ status: 401 });
            expect((await createUnder(grant)).body.error.code).to.equal("grant_expired");
            // Only Uppy's routes live under a grant.
            now = T0;
            expect((await call("POST", `${grant}/uploads`, { body: { contentType: "image/jpeg" } })).status).to.equal(
                404,
            );
        });

        it("the same limits as the JWT routes: allowed types, declared size, part numbers; a small file's POST form is size-capped", async () => {
            const grant = await grantFor("alice");
            expect((await createUnder(grant, { type: "image/png", metadata: { size: 10 } })).body.error.code).to.equal(
                "type_not_allowed",
            );
            expect(
                (await createUnder(grant, { type: "image/jpeg", metadata: { size: 12 * MiB + 1 } })).body.error.code,
            ).to.equal("too_large");
            const { key, uploadId } = (await createUnder(grant)).body;
            const tooFar = await call(
                "GET",
                `${grant}/s3/multipart/${encodeURIComponent(uploadId)}/4?${new URLSearchParams({ key })}`,
            );
            expect(tooFar.body.error.code).to.equal("invalid_part_number");
            const params = await call("GET", `${grant}/s3/params?type=image/jpeg&metadata[size]=10`);
            expect(params.status).to.equal(200);
            expect(params.body.fields.key).to.match(/^incoming\/alice\/[0-9a-f-]{36}\.jpg$/);
            const policy = JSON.parse(Buffer.from(params.body.fields.Policy, "base64").toString("utf8"));
            expect(policy.conditions).to.deep.include(["content-length-range", 1, 12 * MiB]);
        });
    });
});
