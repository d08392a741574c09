// The local S3 is a private bucket: every request is signed (query or Authorization header) and verified, as S3
// verifies it. https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
import { expect } from "chai";
import * as aws4 from "aws4";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/s3/localS3";
import { s3ErrorOf, startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";

const BODY = Buffer.from("<html><script>alert(1)</script></html>");

describe("local S3 gate: a private bucket refuses unsigned and wrongly-signed requests", () => {
    let s3: TestS3;
    before(async () => {
        s3 = await startTestS3();
        await s3.s3.send(
            new PutObjectCommand({
                Bucket: TEST_BUCKET,
                Key: "300x300/uploads/a.png",
                Body: Buffer.from("variant"),
                ContentType: "image/png",
            }),
        );
    });
    after(() => s3.close());

    const url = (path: string) => `${s3.server.url}/${TEST_BUCKET}${path}`;
    const client = (overrides: { region?: string; secretAccessKey?: string }) =>
        new S3Client({
            region: overrides.region ?? LOCAL_REGION,
            endpoint: s3.server.url,
            forcePathStyle: true,
            requestChecksumCalculation: "WHEN_REQUIRED",
            credentials: {
                ...LOCAL_CREDENTIALS,
                secretAccessKey: overrides.secretAccessKey ?? LOCAL_CREDENTIALS.secretAccessKey,
            },
        });
    const errorOf = async (send: Promise<unknown>) => {
        try {
            await send;
            return undefined;
        } catch (error) {
            const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
            return { status: e.$metadata?.httpStatusCode, code: e.Code ?? e.name };
        }
    };
    /** aws4 (an independent SigV4 implementation) signing in the Authorization header. */
    const signed = (method: string, path: string, body: Buffer | undefined, headers: Record<string, string> = {}) => {
        const host = new URL(s3.server.url).host;
        const options = aws4.sign(
            { host, path: `/${TEST_BUCKET}${path}`, method, service: "s3", region: LOCAL_REGION, body, headers },
            LOCAL_CREDENTIALS,
        );
        return { url: `${s3.server.url}${options.path}`, headers: options.headers as Record<string, string> };
    };

    const unsigned: Array<[string, () => Promise<Response>]> = [
        [
            "a PUT of HTML over a variant key",
            () =>
                fetch(url("/300x300/uploads/a.png"), {
                    method: "PUT",
                    headers: { "content-type": "text/html" },
                    body: BODY,
                }),
        ],
        ["a GET", () => fetch(url("/300x300/uploads/a.png"))],
        ["a DELETE", () => fetch(url("/300x300/uploads/a.png"), { method: "DELETE" })],
        ["a bucket listing", () => fetch(url("/?list-type=2"))],
        ["a multipart upload start", () => fetch(url("/uploads/m.png?uploads"), { method: "POST" })],
    ];
    for (const [what, send] of unsigned) {
        it(`refuses unsigned ${what} with 403 AccessDenied, leaving the object as it was`, async () => {
            expect(await s3ErrorOf(await send())).to.include({ status: 403, code: "AccessDenied" });
            const kept = await s3.s3.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: "300x300/uploads/a.png" }));
            expect(kept.ContentType).to.equal("image/png");
            expect(await kept.Body!.transformToString()).to.equal("variant");
        });
    }

    it("answers an OPTIONS without Origin 400, as S3 does, unsigned and without touching the object", async () => {
        expect((await fetch(url("/300x300/uploads/a.png"), { method: "OPTIONS" })).status).to.equal(400);
        expect((await s3.head("300x300/uploads/a.png"))?.ContentType).to.equal("image/png");
    });

    it("accepts the SDK's header-signed requests (PUT, GET, list)", async () => {
        await s3.s3.send(
            new PutObjectCommand({
                Bucket: TEST_BUCKET,
                Key: "uploads/sdk.png",
                Body: Buffer.from("png"),
                ContentType: "image/png",
            }),
        );
        const listed = await s3.s3.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: "uploads/sdk" }));
        expect(listed.Contents?.map((o) => o.Key)).to.deep.equal(["uploads/sdk.png"]);
    });

    it("accepts aws4's header signature (an independent implementation) and refuses it with a made-up signature: 403 SignatureDoesNotMatch", async () => {
        const good = signed("PUT", "/uploads/aws4.png", Buffer.from("png"), { "content-type": "image/png" });
        expect(
            (await fetch(good.url, { method: "PUT", headers: good.headers, body: Buffer.from("png") })).status,
        ).to.equal(200);
        const forged = signed("PUT", "/300x300/uploads/a.png", BODY, { "content-type": "text/html" });
        forged.headers.Authorization = forged.headers.Authorization.replace(
            /Signature=\w+/,
            `Signature=${"0".repeat(64)}`,
        );
        expect(
            await s3ErrorOf(await fetch(forged.url, { method: "PUT", headers: forged.headers, body: BODY })),
        ).to.include({ status: 403, code: "SignatureDoesNotMatch" });
    });

    it("refuses the wrong secret with 403 SignatureDoesNotMatch", async () => {
        const forger = client({ secretAccessKey: "guess" });
        expect(
            await errorOf(forger.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: "300x300/uploads/a.png" }))),
        ).to.deep.equal({ status: 403, code: "SignatureDoesNotMatch" });
        forger.destroy();
    });

    it("refuses a body other than the one x-amz-content-sha256 signs: 400 XAmzContentSHA256Mismatch, nothing stored", async () => {
        const request = signed("PUT", "/uploads/swapped.png", Buffer.from("good"), { "content-type": "image/png" });
        expect(
            await s3ErrorOf(
                await fetch(request.url, { method: "PUT", headers: request.headers, body: Buffer.from("evil") }),
            ),
        ).to.include({ status: 400, code: "XAmzContentSHA256Mismatch" });
        expect(await s3.head("uploads/swapped.png")).to.equal(undefined);
    });

    it("refuses an unsigned x-amz- header next to a header signature: 403 AccessDenied", async () => {
        const request = signed("PUT", "/uploads/meta.png", Buffer.from("png"), { "content-type": "image/png" });
        const response = await fetch(request.url, {
            method: "PUT",
            headers: { ...request.headers, "x-amz-meta-owner": "mallory" },
            body: Buffer.from("png"),
        });
        expect(await s3ErrorOf(response)).to.include({ status: 403, code: "AccessDenied" });
    });

    it("refuses a signing time 20 minutes off: 403 RequestTimeTooSkewed", async () => {
        const old = new Date(Date.now() - 20 * 60_000).toISOString().replace(/[-:]|\.\d{3}/g, "");
        const request = signed("GET", "/300x300/uploads/a.png", undefined, { "X-Amz-Date": old });
        expect(await s3ErrorOf(await fetch(request.url, { headers: request.headers }))).to.include({
            status: 403,
            code: "RequestTimeTooSkewed",
        });
    });

    it("refuses aws-chunked (STREAMING-*) bodies clearly: 501 NotImplemented, nothing stored", async () => {
        const request = signed("PUT", "/uploads/chunked.png", undefined, {
            "X-Amz-Content-Sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        });
        expect(
            await s3ErrorOf(
                await fetch(request.url, {
                    method: "PUT",
                    headers: request.headers,
                    body: Buffer.from("5\r\nhello\r\n0\r\n\r\n"),
                }),
            ),
        ).to.include({ status: 501, code: "NotImplemented" });
        expect(await s3.head("uploads/chunked.png")).to.equal(undefined);
    });

    describe("the credential scope's region is checked (a misconfigured presigner fails here as on AWS)", () => {
        it("refuses a header signature for eu-west-1: 400 AuthorizationHeaderMalformed", async () => {
            const elsewhere = client({ region: "eu-west-1" });
            expect(
                await errorOf(
                    elsewhere.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: "300x300/uploads/a.png" })),
                ),
            ).to.deep.equal({ status: 400, code: "AuthorizationHeaderMalformed" });
            elsewhere.destroy();
        });

        it("refuses a presigned URL for eu-west-1: 400 AuthorizationQueryParametersError", async () => {
            const elsewhere = client({ region: "eu-west-1" });
            const presigned = await getSignedUrl(
                elsewhere,
                new GetObjectCommand({ Bucket: TEST_BUCKET, Key: "300x300/uploads/a.png" }),
                { expiresIn: 60 },
            );
            elsewhere.destroy();
            expect(await s3ErrorOf(await fetch(presigned))).to.include({
                status: 400,
                code: "AuthorizationQueryParametersError",
            });
        });

        it("refuses a POST policy signed for eu-west-1: 400 AuthorizationQueryParametersError", async () => {
            const elsewhere = client({ region: "eu-west-1" });
            const { url: postUrl, fields } = await createPresignedPost(elsewhere, {
                Bucket: TEST_BUCKET,
                Key: "uploads/region.png",
                Expires: 60,
            });
            elsewhere.destroy();
            const form = new FormData();
            for (const [name, value] of Object.entries(fields)) form.append(name, value);
            form.append("file", new Blob([new Uint8Array(Buffer.from("png"))]), "a.png");
            expect(
                await s3ErrorOf(
                    await fetch(postUrl.replace(/^http:\/\/[^/]+/, s3.server.url), { method: "POST", body: form }),
                ),
            ).to.include({ status: 400, code: "AuthorizationQueryParametersError" });
        });
    });

    it("answers a POST upload's Location with the gate's address, never s3rver's private port", async () => {
        const { url: postUrl, fields } = await createPresignedPost(s3.s3, {
            Bucket: TEST_BUCKET,
            Key: "uploads/located.png",
            Fields: { success_action_status: "201" },
            Expires: 60,
        });
        const form = new FormData();
        for (const [name, value] of Object.entries(fields)) form.append(name, value);
        form.append("file", new Blob([new Uint8Array(Buffer.from("png"))]), "a.png");
        const response = await fetch(postUrl, { method: "POST", body: form });
        expect(response.status).to.equal(201);
        const backendPort = new URL(s3.server.backendUrl).port;
        expect(response.headers.get("location")).to.equal(`${s3.server.url}/${TEST_BUCKET}/uploads/located.png`);
        const body = await response.text();
        expect(body).to.include(`<Location>${s3.server.url}/${TEST_BUCKET}/uploads/located.png</Location>`);
        expect(body).to.not.include(`:${backendPort}`);
    });
});
