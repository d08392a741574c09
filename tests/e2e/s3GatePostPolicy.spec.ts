// Browser POST uploads through the local S3 gate: the policy (conditions, expiry, size) and its SigV4 signature,
// refused where S3 refuses them (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html).
// The gate's other checks: s3Gate.spec.ts.
import { expect } from "chai";
import { S3Client } from "@aws-sdk/client-s3";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/s3/localS3";
import { verifyPostUpload } from "../../local/s3/postPolicyVerify";
import { s3ErrorOf, startTestS3, TEST_BUCKET, TEST_ORIGIN, TestS3 } from "../support/localS3";

const BODY = Buffer.from("pretend this is a PNG");

describe("local S3 gate (local/s3/s3Gate.ts): browser POST uploads, their policy and signature as S3 checks them", () => {
    let s3: TestS3;
    let sdk: S3Client; // as our handlers configure it
    before(async () => {
        s3 = await startTestS3();
        sdk = s3.s3;
    });
    after(() => s3.close());

    async function signedPost(overrides: { maxBytes?: number; client?: S3Client; expires?: number } = {}) {
        return createPresignedPost(overrides.client ?? sdk, {
            Bucket: TEST_BUCKET,
            Key: "uploads/posted.png",
            Fields: { "Content-Type": "image/png", success_action_status: "201" },
            Conditions: [
                ["content-length-range", 1, overrides.maxBytes ?? 1000],
                ["starts-with", "$x-amz-meta-tag", "ok-"],
            ],
            Expires: overrides.expires ?? 300,
        });
    }
    const send = (url: string, fields: Record<string, string>, file: Buffer = BODY, bucketPath?: string) => {
        const form = new FormData();
        for (const [name, value] of Object.entries(fields)) form.append(name, value);
        form.append("file", new Blob([new Uint8Array(file)]), "upload.png");
        return fetch(bucketPath ? url.replace(`/${TEST_BUCKET}`, bucketPath) : url, {
            method: "POST",
            body: form,
            headers: { origin: TEST_ORIGIN },
        });
    };

    it("accepts the unaltered form", async () => {
        const { url, fields } = await signedPost();
        const response = await send(url, { ...fields, "x-amz-meta-tag": "ok-1" });
        expect(response.status, await response.clone().text()).to.equal(201);
        expect((await s3.head("uploads/posted.png"))?.ContentType).to.equal("image/png");
    });

    it("accepts x-ignore- fields no condition covers", async () => {
        const { url, fields } = await signedPost();
        expect((await send(url, { ...fields, "x-amz-meta-tag": "ok-2", "x-ignore-note": "anything" })).status).to.equal(
            201,
        );
    });

    const altered: Array<
        [string, (post: { url: string; fields: Record<string, string> }) => Promise<Response>, number, string]
    > = [
        [
            "a Content-Type other than the exact one",
            ({ url, fields }) => send(url, { ...fields, "x-amz-meta-tag": "ok-", "Content-Type": "image/gif" }),
            403,
            "AccessDenied",
        ],
        [
            "a key other than the exact one",
            ({ url, fields }) => send(url, { ...fields, "x-amz-meta-tag": "ok-", key: "uploads/other.png" }),
            403,
            "AccessDenied",
        ],
        [
            "another success_action_status",
            ({ url, fields }) => send(url, { ...fields, "x-amz-meta-tag": "ok-", success_action_status: "200" }),
            403,
            "AccessDenied",
        ],
        [
            "a field failing starts-with",
            ({ url, fields }) => send(url, { ...fields, "x-amz-meta-tag": "bad" }),
            403,
            "AccessDenied",
        ],
        [
            "a field no condition covers",
            ({ url, fields }) => send(url, { ...fields, "x-amz-meta-tag": "ok-", "x-amz-meta-extra": "1" }),
            403,
            "AccessDenied",
        ],
        [
            "another bucket",
            ({ url, fields }) => send(url, { ...fields, "x-amz-meta-tag": "ok-" }, BODY, "/other-bucket"),
            403,
            "AccessDenied",
        ],
        [
            "a file over the range",
            ({ url, fields }) => send(url, { ...fields, "x-amz-meta-tag": "ok-" }, Buffer.alloc(1001)),
            400,
            "EntityTooLarge",
        ],
        [
            "an empty file",
            ({ url, fields }) => send(url, { ...fields, "x-amz-meta-tag": "ok-" }, Buffer.alloc(0)),
            400,
            "EntityTooSmall",
        ],
        [
            "a policy rewritten to raise the cap",
            ({ url, fields }) => {
                const policy = JSON.parse(Buffer.from(fields.Policy, "base64").toString());
                policy.conditions[0] = ["content-length-range", 1, 10_000_000];
                return send(url, {
                    ...fields,
                    Policy: Buffer.from(JSON.stringify(policy)).toString("base64"),
                    "x-amz-meta-tag": "ok-",
                });
            },
            403,
            "SignatureDoesNotMatch",
        ],
        // S3 answers a policy without its signature 400 (s3-tests test_post_object_missing_signature).
        [
            "a policy without its signature",
            ({ url, fields }) => {
                const { "X-Amz-Signature": _, ...unsigned } = fields;
                return send(url, { ...unsigned, "x-amz-meta-tag": "ok-" });
            },
            400,
            "InvalidArgument",
        ],
        // An anonymous form on a private bucket (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html).
        [
            "an anonymous form (no policy, no signature)",
            ({ url }) => send(url, { key: "uploads/posted.png", "Content-Type": "image/png" }),
            403,
            "AccessDenied",
        ],
    ];
    for (const [what, alter, status, code] of altered) {
        it(`refuses ${what} with ${status} ${code}`, async () => {
            const response = await alter(await signedPost());
            expect(await s3ErrorOf(response)).to.include({ status, code });
        });
    }

    it("refuses an expired policy", async () => {
        const late = new S3Client({
            region: LOCAL_REGION,
            endpoint: s3.server.url,
            forcePathStyle: true,
            credentials: LOCAL_CREDENTIALS,
            systemClockOffset: -120_000,
        });
        const { url, fields } = await signedPost({ client: late, expires: 60 });
        late.destroy();
        const failure = await s3ErrorOf(await send(url, { ...fields, "x-amz-meta-tag": "ok-" }));
        expect(failure).to.deep.equal({
            status: 403,
            code: "AccessDenied",
            message: "Invalid according to Policy: Policy expired.",
        });
    });

    it("answers its refusals with the CORS headers a browser needs to read them", async () => {
        const { url, fields } = await signedPost({ maxBytes: 1 });
        const response = await send(url, { ...fields, "x-amz-meta-tag": "ok-" });
        expect(response.status).to.equal(400);
        expect(response.headers.get("access-control-allow-origin")).to.equal(TEST_ORIGIN);
    });

    it("agrees with a by-hand SigV4 key derivation on the POST signature", async () => {
        const { fields } = await signedPost();
        const [, shortDate, region, service] = fields["X-Amz-Credential"].split("/");
        // aws4 has no POST-policy helper: derive the key by hand, independently of local/s3/sigv4Verify.ts.
        const crypto = await import("crypto");
        const h = (key: string | Buffer, data: string) => crypto.createHmac("sha256", key).update(data).digest();
        const key = h(h(h(h(`AWS4${LOCAL_CREDENTIALS.secretAccessKey}`, shortDate), region), service), "aws4_request");
        expect(h(key, fields.Policy).toString("hex")).to.equal(fields["X-Amz-Signature"]);
        const upload = {
            bucket: TEST_BUCKET,
            fields: Object.entries({ ...fields, "x-amz-meta-tag": "ok-" }),
            fileSize: 10,
        };
        expect(verifyPostUpload(upload, LOCAL_CREDENTIALS, Date.now(), LOCAL_REGION)).to.equal(undefined);
    });
});
