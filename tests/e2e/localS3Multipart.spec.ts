import { expect } from "chai";
import { createHash, randomBytes } from "crypto";
import { crc32 } from "zlib";
import {
    AbortMultipartUploadCommand,
    CreateMultipartUploadCommand,
    ListPartsCommand,
    UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { s3ErrorOf, startTestS3, TEST_BUCKET, TEST_ORIGIN, TestS3 } from "../support/localS3";
import { failureOf, multipartSteps } from "../support/multipartSteps";

const MiB = 1024 * 1024;

/** The local S3's multipart uploads (local/s3/multipartUploads.ts), checked as S3 checks them. */
describe("local S3: multipart uploads as S3 does them (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html)", () => {
    let s3: TestS3;
    const fiveMiB = randomBytes(5 * MiB);
    const tail = randomBytes(1234);

    before(async () => {
        s3 = await startTestS3();
    });
    after(() => s3.close());

    const { create, part, complete, read } = multipartSteps(() => s3);

    it("stores the parts in order as one object with the Content-Type given at create; the answer's ETag is S3's md5-of-md5s-N", async () => {
        const key = "incoming/whole.jpg";
        const uploadId = await create(key);
        const second = await part(key, uploadId, 2, tail);
        const first = await part(key, uploadId, 1, fiveMiB);
        expect(first).to.equal(`"${createHash("md5").update(fiveMiB).digest("hex")}"`);
        const answer = await complete(key, uploadId, [
            { PartNumber: 1, ETag: first },
            { PartNumber: 2, ETag: second },
        ]);
        const md5s = Buffer.concat([fiveMiB, tail].map((bytes) => createHash("md5").update(bytes).digest()));
        expect(answer.ETag).to.equal(`"${createHash("md5").update(md5s).digest("hex")}-2"`);
        const stored = await read(key);
        expect(stored.bytes.equals(Buffer.concat([fiveMiB, tail]))).to.equal(true);
        expect(stored.contentType).to.equal("image/jpeg");
        // A completed upload is gone.
        expect(
            await failureOf(s3.s3.send(new ListPartsCommand({ Bucket: TEST_BUCKET, Key: key, UploadId: uploadId }))),
        ).to.deep.equal({
            status: 404,
            code: "NoSuchUpload",
        });
    });

    it("ListParts lists each part's number, ETag and size, a re-sent part replacing the first, paged by max-parts", async () => {
        const key = "incoming/listed.jpg";
        const uploadId = await create(key);
        await part(key, uploadId, 1, tail);
        const again = await part(key, uploadId, 1, fiveMiB);
        const third = await part(key, uploadId, 3, tail);
        const first = await s3.s3.send(
            new ListPartsCommand({ Bucket: TEST_BUCKET, Key: key, UploadId: uploadId, MaxParts: 1 }),
        );
        expect(first.IsTruncated).to.equal(true);
        expect(first.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size])).to.deep.equal([[1, again, 5 * MiB]]);
        const next = await s3.s3.send(
            new ListPartsCommand({
                Bucket: TEST_BUCKET,
                Key: key,
                UploadId: uploadId,
                PartNumberMarker: first.NextPartNumberMarker,
            }),
        );
        expect(next.IsTruncated).to.equal(false);
        expect(next.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size])).to.deep.equal([[3, third, tail.length]]);
    });

    it("CreateMultipartUpload in a bucket that does not exist → 404 NoSuchBucket", async () => {
        expect(
            await failureOf(
                s3.s3.send(new CreateMultipartUploadCommand({ Bucket: "no-such-bucket", Key: "incoming/a.jpg" })),
            ),
        ).to.deep.equal({ status: 404, code: "NoSuchBucket" });
    });

    it("UploadPart: an unknown uploadId, or an upload of another key → 404 NoSuchUpload (s3rver stores the part anyway)", async () => {
        const uploadId = await create("incoming/mine.jpg");
        expect(await failureOf(part("incoming/mine.jpg", "not-an-upload", 1, tail))).to.deep.equal({
            status: 404,
            code: "NoSuchUpload",
        });
        expect(await failureOf(part("incoming/other.jpg", uploadId, 1, tail))).to.deep.equal({
            status: 404,
            code: "NoSuchUpload",
        });
    });

    it("UploadPart: part numbers outside 1..10000 → 400 InvalidArgument (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html)", async () => {
        const key = "incoming/numbers.jpg";
        const uploadId = await create(key);
        for (const partNumber of [0, 10_001]) {
            expect(await failureOf(part(key, uploadId, partNumber, tail)), String(partNumber)).to.deep.equal({
                status: 400,
                code: "InvalidArgument",
            });
        }
        expect(await part(key, uploadId, 10_000, tail)).to.match(/^"[0-9a-f]{32}"$/);
    });

    it("Complete: a part under 5 MiB that is not the last → 400 EntityTooSmall, and nothing is stored", async () => {
        const key = "incoming/small.jpg";
        const uploadId = await create(key);
        const first = await part(key, uploadId, 1, tail);
        const second = await part(key, uploadId, 2, fiveMiB);
        expect(
            await failureOf(
                complete(key, uploadId, [
                    { PartNumber: 1, ETag: first },
                    { PartNumber: 2, ETag: second },
                ]),
            ),
        ).to.deep.equal({ status: 400, code: "EntityTooSmall" });
        expect(await s3.head(key)).to.equal(undefined);
        // A single part may be small: it is the last.
        await complete(key, uploadId, [{ PartNumber: 1, ETag: first }]);
        expect((await read(key)).bytes.equals(tail)).to.equal(true);
    });

    it("Complete: an ETag that is not the part's → 400 InvalidPart; parts out of order or repeated → 400 InvalidPartOrder", async () => {
        const key = "incoming/etags.jpg";
        const uploadId = await create(key);
        const first = await part(key, uploadId, 1, fiveMiB);
        const second = await part(key, uploadId, 2, tail);
        expect(await failureOf(complete(key, uploadId, [{ PartNumber: 1, ETag: second }]))).to.deep.equal({
            status: 400,
            code: "InvalidPart",
        });
        expect(await failureOf(complete(key, uploadId, [{ PartNumber: 3, ETag: second }]))).to.deep.equal({
            status: 400,
            code: "InvalidPart",
        });
        expect(
            await failureOf(
                complete(key, uploadId, [
                    { PartNumber: 2, ETag: second },
                    { PartNumber: 1, ETag: first },
                ]),
            ),
        ).to.deep.equal({ status: 400, code: "InvalidPartOrder" });
        expect(
            await failureOf(
                complete(key, uploadId, [
                    { PartNumber: 1, ETag: first },
                    { PartNumber: 1, ETag: first },
                ]),
            ),
        ).to.deep.equal({ status: 400, code: "InvalidPartOrder" });
        expect(await s3.head(key)).to.equal(undefined);
    });

    it("Abort drops the upload: later parts, lists and completes → 404 NoSuchUpload; aborting it again → 404", async () => {
        const key = "incoming/aborted.jpg";
        const uploadId = await create(key);
        const first = await part(key, uploadId, 1, tail);
        await s3.s3.send(new AbortMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: key, UploadId: uploadId }));
        const gone = { status: 404, code: "NoSuchUpload" };
        expect(await failureOf(part(key, uploadId, 2, tail))).to.deep.equal(gone);
        expect(await failureOf(complete(key, uploadId, [{ PartNumber: 1, ETag: first }]))).to.deep.equal(gone);
        expect(
            await failureOf(
                s3.s3.send(new AbortMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: key, UploadId: uploadId })),
            ),
        ).to.deep.equal(gone);
        expect(await s3.head(key)).to.equal(undefined);
    });

    it("a presigned UploadPart URL works from a browser origin, which may read the part's ETag (CORS exposes it); unsigned or tampered → 403", async () => {
        const key = "incoming/browser.jpg";
        const uploadId = await create(key);
        const url = await getSignedUrl(
            s3.s3,
            new UploadPartCommand({ Bucket: TEST_BUCKET, Key: key, UploadId: uploadId, PartNumber: 1 }),
            { expiresIn: 60 },
        );
        const put = await fetch(url, { method: "PUT", body: tail, headers: { origin: TEST_ORIGIN } });
        expect(put.status, await put.clone().text()).to.equal(200);
        expect(put.headers.get("etag")).to.equal(`"${createHash("md5").update(tail).digest("hex")}"`);
        expect(put.headers.get("access-control-allow-origin")).to.equal(TEST_ORIGIN);
        expect(put.headers.get("access-control-expose-headers")).to.match(/\bETag\b/);
        const unsigned = new URL(url);
        for (const name of [...unsigned.searchParams.keys()])
            if (name.startsWith("X-Amz-")) unsigned.searchParams.delete(name);
        expect(await s3ErrorOf(await fetch(unsigned, { method: "PUT", body: tail }))).to.include({
            status: 403,
            code: "AccessDenied",
        });
        const otherPart = url.replace("partNumber=1", "partNumber=2");
        expect((await s3ErrorOf(await fetch(otherPart, { method: "PUT", body: tail }))).status).to.equal(403);
    });

    it("a part whose x-amz-checksum-crc32 does not match its bytes → 400 BadDigest, and the earlier part stays (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html)", async () => {
        const key = "incoming/checksum.jpg";
        const uploadId = await create(key);
        const kept = await part(key, uploadId, 1, tail);
        expect(
            await failureOf(
                s3.s3.send(
                    new UploadPartCommand({
                        Bucket: TEST_BUCKET,
                        Key: key,
                        UploadId: uploadId,
                        PartNumber: 1,
                        Body: fiveMiB,
                        ChecksumCRC32: "AAAAAA==",
                    }),
                ),
            ),
        ).to.deep.equal({ status: 400, code: "BadDigest" });
        const listed = await s3.s3.send(new ListPartsCommand({ Bucket: TEST_BUCKET, Key: key, UploadId: uploadId }));
        expect(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size])).to.deep.equal([[1, kept, tail.length]]);
    });

    it("a part's verified checksum is kept: ListParts names it, and Complete naming another value for it → 400 InvalidPart", async () => {
        const key = "incoming/part-checksum.jpg";
        const uploadId = await create(key);
        const right = Buffer.alloc(4);
        right.writeUInt32BE(crc32(tail) >>> 0);
        const { ETag } = await s3.s3.send(
            new UploadPartCommand({
                Bucket: TEST_BUCKET,
                Key: key,
                UploadId: uploadId,
                PartNumber: 1,
                Body: tail,
                ChecksumCRC32: right.toString("base64"),
            }),
        );
        const listed = await s3.s3.send(new ListPartsCommand({ Bucket: TEST_BUCKET, Key: key, UploadId: uploadId }));
        expect(listed.Parts?.[0].ChecksumCRC32).to.equal(right.toString("base64"));
        expect(
            await failureOf(complete(key, uploadId, [{ PartNumber: 1, ETag: ETag!, ChecksumCRC32: "AAAAAA==" }])),
        ).to.deep.equal({ status: 400, code: "InvalidPart" });
        await complete(key, uploadId, [{ PartNumber: 1, ETag: ETag!, ChecksumCRC32: right.toString("base64") }]);
        expect((await read(key)).bytes.equals(tail)).to.equal(true);
    });

    it("a part cut off mid-body is not stored: the earlier part of that number stays", async () => {
        const key = "incoming/cut.jpg";
        const uploadId = await create(key);
        const kept = await part(key, uploadId, 1, tail);
        const url = new URL(
            await getSignedUrl(
                s3.s3,
                new UploadPartCommand({ Bucket: TEST_BUCKET, Key: key, UploadId: uploadId, PartNumber: 1 }),
                { expiresIn: 60 },
            ),
        );
        const http = await import("http");
        await new Promise<void>((resolve) => {
            const request = http.request(url, { method: "PUT", headers: { "content-length": String(fiveMiB.length) } });
            request.on("error", () => resolve());
            request.on("close", () => resolve());
            request.write(fiveMiB.subarray(0, MiB), () => setTimeout(() => request.destroy(), 50));
        });
        const listed = await s3.s3.send(new ListPartsCommand({ Bucket: TEST_BUCKET, Key: key, UploadId: uploadId }));
        expect(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size])).to.deep.equal([[1, kept, tail.length]]);
    });
});
