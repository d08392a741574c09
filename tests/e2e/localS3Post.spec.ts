// Browser POST uploads and presigned URLs, rule by rule as S3 applies them (each case is one that Ceph's s3-tests
// found the gate getting wrong): https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html,
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
import { expect } from "chai";
import { createHash, createHmac } from "crypto";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/s3/localS3";
import { s3ErrorOf, startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";

const FILE = Buffer.from("pretend this is a PNG");

interface Part {
    name: string;
    value: string | Buffer;
    filename?: string;
}

/** A multipart/form-data body written by hand, so each part's name case and filename= are what the test says. */
function multipart(parts: Part[]): { body: Buffer; boundary: string } {
    const boundary = "----specboundary7MA4YWxkTrZu0gW";
    const chunks: Buffer[] = [];
    for (const part of parts) {
        const filename = part.filename === undefined ? "" : `; filename="${part.filename}"`;
        chunks.push(
            Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}\r\n\r\n`),
            Buffer.from(part.value),
            Buffer.from("\r\n"),
        );
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    return { body: Buffer.concat(chunks), boundary };
}

/** SigV4 POST fields for a policy document (signed by hand: hex HMAC of the base64 policy with the SigV4 key). */
function signedFields(policy: Record<string, unknown>, date = new Date()): Array<[string, string]> {
    const amzDate = date.toISOString().replace(/[-:]|\.\d{3}/g, "");
    const shortDate = amzDate.slice(0, 8);
    const credential = `${LOCAL_CREDENTIALS.accessKeyId}/${shortDate}/${LOCAL_REGION}/s3/aws4_request`;
    const document = {
        ...policy,
        conditions: [
            ...((policy.conditions as unknown[]) ?? []),
            { "x-amz-algorithm": "AWS4-HMAC-SHA256" },
            { "x-amz-credential": credential },
            { "x-amz-date": amzDate },
        ],
    };
    const encoded = Buffer.from(JSON.stringify(document)).toString("base64");
    const h = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
    const key = h(h(h(h(`AWS4${LOCAL_CREDENTIALS.secretAccessKey}`, shortDate), LOCAL_REGION), "s3"), "aws4_request");
    return [
        ["x-amz-algorithm", "AWS4-HMAC-SHA256"],
        ["x-amz-credential", credential],
        ["x-amz-date", amzDate],
        ["policy", encoded],
        ["x-amz-signature", h(key, encoded).toString("hex")],
    ];
}

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

describe("local S3 gate: POST uploads and presigned URLs as S3 answers them", () => {
    let s3: TestS3;
    before(async () => {
        s3 = await startTestS3();
    });
    after(() => s3.close());

    const post = (parts: Part[], contentType = "multipart/form-data") => {
        const { body, boundary } = multipart(parts);
        return fetch(`${s3.server.url}/${TEST_BUCKET}`, {
            method: "POST",
            headers: { "content-type": `${contentType}; boundary=${boundary}` },
            body,
        });
    };
    const fieldsOf = (pairs: Array<[string, string]>): Part[] => pairs.map(([name, value]) => ({ name, value }));
    const read = async (key: string) => {
        try {
            const object = await s3.s3.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
            return Buffer.from(await object.Body!.transformToByteArray());
        } catch {
            return undefined;
        }
    };
    const openPolicy = (key: string, extra: unknown[] = []) => ({
        expiration: inAnHour(),
        conditions: [{ bucket: TEST_BUCKET }, ["starts-with", "$key", key], ...extra],
    });

    it("a form sent as Content-Type: Multipart/Form-Data is checked like any other: anonymous, no policy → 403 AccessDenied (media types are case-insensitive, RFC 9110 §8.3.1)", async () => {
        const response = await post(
            [
                { name: "key", value: "uploads/anonymous.png" },
                { name: "file", value: FILE, filename: "a.png" },
            ],
            "Multipart/Form-Data",
        );
        expect(await s3ErrorOf(response)).to.include({ status: 403, code: "AccessDenied" });
        expect(await read("uploads/anonymous.png")).to.equal(undefined);
    });

    it("refuses a SigV2 form (AWSAccessKeyId + Signature) as a bucket created after June 2020 does: 400 InvalidRequest (https://docs.aws.amazon.com/AmazonS3/latest/API/Appendix-Sigv2.html)", async () => {
        const policy = Buffer.from(
            JSON.stringify({
                expiration: inAnHour(),
                conditions: [{ bucket: TEST_BUCKET }, ["starts-with", "$key", "uploads/"]],
            }),
        ).toString("base64");
        const signature = createHmac("sha1", LOCAL_CREDENTIALS.secretAccessKey).update(policy).digest("base64");
        const response = await post([
            { name: "key", value: "uploads/v2.png" },
            { name: "AWSAccessKeyId", value: LOCAL_CREDENTIALS.accessKeyId },
            { name: "policy", value: policy },
            { name: "signature", value: signature },
            { name: "file", value: FILE, filename: "a.png" },
        ]);
        expect(await s3ErrorOf(response)).to.include({ status: 400, code: "InvalidRequest" });
        expect(await read("uploads/v2.png")).to.equal(undefined);
    });

    describe("the policy document", () => {
        for (const expiration of ["2099-11-23 10:00:00", "2099-11-23T10:00:00 UTC", "2099-11-23T10:00:00+02:00"]) {
            it(`refuses expiration ${JSON.stringify(expiration)}, not ISO 8601 UTC: 400 InvalidPolicyDocument`, async () => {
                const fields = signedFields({
                    expiration,
                    conditions: [{ bucket: TEST_BUCKET }, ["starts-with", "$key", "uploads/"]],
                });
                const response = await post([
                    { name: "key", value: "uploads/date.png" },
                    ...fieldsOf(fields),
                    { name: "file", value: FILE, filename: "a.png" },
                ]);
                expect(await s3ErrorOf(response)).to.include({ status: 400, code: "InvalidPolicyDocument" });
            });
        }

        for (const range of [
            ["content-length-range", 10],
            ["content-length-range", "a", "b"],
            ["content-length-range", 1, "lots"],
        ]) {
            it(`refuses ${JSON.stringify(range)}: 400 InvalidPolicyDocument`, async () => {
                const fields = signedFields(openPolicy("uploads/", [range]));
                const response = await post([
                    { name: "key", value: "uploads/range.png" },
                    ...fieldsOf(fields),
                    { name: "file", value: FILE, filename: "a.png" },
                ]);
                expect(await s3ErrorOf(response)).to.include({ status: 400, code: "InvalidPolicyDocument" });
            });
        }

        it("matches condition operators and field names case-insensitively (s3-tests test_post_object_case_insensitive_condition_fields)", async () => {
            const fields = signedFields({
                expiration: inAnHour(),
                conditions: [{ bUcKeT: TEST_BUCKET }, ["StArTs-WiTh", "$KeY", "uploads/"]],
            });
            const response = await post([
                { name: "kEy", value: "uploads/cased.png" },
                ...fieldsOf(fields),
                { name: "file", value: FILE, filename: "a.png" },
            ]);
            expect(response.status, await response.clone().text()).to.equal(204);
        });
    });

    describe("the form's parts", () => {
        it("takes parts other than file as fields even when sent with filename= (as Python requests sends every part)", async () => {
            const fields = signedFields(openPolicy("uploads/"));
            const parts: Part[] = [
                { name: "key", value: "uploads/named.png", filename: "key" },
                ...fieldsOf(fields).map((p) => ({ ...p, filename: p.name })),
                { name: "file", value: FILE, filename: "a.png" },
            ];
            expect((await post(parts)).status).to.equal(204);
            expect((await read("uploads/named.png"))?.equals(FILE)).to.equal(true);
        });

        it("accepts a file part without filename=", async () => {
            const fields = signedFields(openPolicy("uploads/"));
            expect(
                (
                    await post([
                        { name: "key", value: "uploads/nameless.png" },
                        ...fieldsOf(fields),
                        { name: "file", value: FILE },
                    ])
                ).status,
            ).to.equal(204);
            expect((await read("uploads/nameless.png"))?.equals(FILE)).to.equal(true);
        });

        it("stores the key of a mixed-case KEY field (field names are case-insensitive; the gate forwards them lower-cased)", async () => {
            const fields = signedFields(openPolicy("uploads/"));
            expect(
                (
                    await post([
                        { name: "KEY", value: "uploads/upper.png" },
                        ...fieldsOf(fields),
                        { name: "file", value: FILE, filename: "a.png" },
                    ])
                ).status,
            ).to.equal(204);
            expect((await read("uploads/upper.png"))?.equals(FILE)).to.equal(true);
        });

        it("replaces ${filename} in the key with the file's name, checks the policy against it and stores that key", async () => {
            const fields = signedFields(openPolicy("uploads/photo-"));
            const response = await post([
                { name: "key", value: "uploads/${filename}" },
                ...fieldsOf(fields),
                { name: "file", value: FILE, filename: "photo-1.png" },
            ]);
            expect(response.status, await response.clone().text()).to.equal(204);
            expect((await read("uploads/photo-1.png"))?.equals(FILE)).to.equal(true);
            expect(await read("uploads/${filename}")).to.equal(undefined);
        });

        it("refuses more than 20 KB of fields before the file: 400 MaxPostPreDataLengthExceeded", async () => {
            const fields = signedFields(openPolicy("uploads/", [["starts-with", "$x-amz-meta-pad", ""]]));
            const response = await post([
                { name: "key", value: "uploads/padded.png" },
                ...fieldsOf(fields),
                { name: "x-amz-meta-pad", value: "p".repeat(21 * 1024) },
                { name: "file", value: FILE, filename: "a.png" },
            ]);
            expect(await s3ErrorOf(response)).to.include({ status: 400, code: "MaxPostPreDataLengthExceeded" });
            expect(await read("uploads/padded.png")).to.equal(undefined);
        });

        it("refuses two file parts: 400 InvalidArgument", async () => {
            const fields = signedFields(openPolicy("uploads/"));
            const response = await post([
                { name: "key", value: "uploads/twice.png" },
                ...fieldsOf(fields),
                { name: "file", value: FILE, filename: "a.png" },
                { name: "file", value: Buffer.from("second"), filename: "b.png" },
            ]);
            expect(await s3ErrorOf(response)).to.include({ status: 400, code: "InvalidArgument" });
            expect(await read("uploads/twice.png")).to.equal(undefined);
        });

        it("verifies an x-amz-checksum-sha256 field against the file: a wrong one → 400 BadDigest, the right one is stored", async () => {
            const fields = signedFields(openPolicy("uploads/"));
            const send = (checksum: string) =>
                post([
                    { name: "key", value: "uploads/summed.png" },
                    ...fieldsOf(fields),
                    { name: "x-amz-checksum-sha256", value: checksum },
                    { name: "file", value: FILE, filename: "a.png" },
                ]);
            expect(await s3ErrorOf(await send(createHash("sha256").update("other").digest("base64")))).to.include({
                status: 400,
                code: "BadDigest",
            });
            expect(await read("uploads/summed.png")).to.equal(undefined);
            expect((await send(createHash("sha256").update(FILE).digest("base64"))).status).to.equal(204);
        });
    });

    describe("X-Amz-Expires (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html)", () => {
        const withExpires = async (value: string) => {
            const url = new URL(
                await getSignedUrl(s3.s3, new GetObjectCommand({ Bucket: TEST_BUCKET, Key: "uploads/x.png" }), {
                    expiresIn: 60,
                }),
            );
            url.searchParams.set("X-Amz-Expires", value);
            return fetch(url);
        };
        it('0 → 403 AccessDenied "Request has expired"', async () => {
            expect(await s3ErrorOf(await withExpires("0"))).to.deep.equal({
                status: 403,
                code: "AccessDenied",
                message: "Request has expired",
            });
        });
        it("a negative value → 400 AuthorizationQueryParametersError", async () => {
            expect(await s3ErrorOf(await withExpires("-1"))).to.include({
                status: 400,
                code: "AuthorizationQueryParametersError",
            });
        });
    });
});
