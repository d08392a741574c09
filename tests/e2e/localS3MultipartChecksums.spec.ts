// The local S3's multipart uploads, their flexible checksums (local/s3/multipartChecksums.ts): full-object and
// composite, checked as S3 checks them. The uploads themselves: localS3Multipart.spec.ts.
import { expect } from "chai";
import { createHash, randomBytes } from "crypto";
import { crc32 } from "zlib";
import {
    ChecksumAlgorithm,
    ChecksumType,
    CompleteMultipartUploadCommand,
    CompleteMultipartUploadCommandInput,
    CompletedPart,
    CreateMultipartUploadCommand,
    ListPartsCommand,
    UploadPartCommand,
} from "@aws-sdk/client-s3";
import { Crc64Nvme } from "@aws-sdk/crc64-nvme";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";
import { failureOf, multipartSteps, refusalOf } from "../support/multipartSteps";

const MiB = 1024 * 1024;

// Flexible checksums of multipart uploads: full-object and composite
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html), with the values
// and answers of ceph/s3-tests' multipart checksum tests (s3tests/functional/test_s3.py).
describe("local S3: multipart upload checksums as S3 checks them (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html)", () => {
    let s3: TestS3;
    const fiveMiB = randomBytes(5 * MiB);
    const tail = randomBytes(1234);

    before(async () => {
        s3 = await startTestS3();
    });
    after(() => s3.close());
    const { create, part, read } = multipartSteps(() => s3);

    const createWith = async (key: string, algorithm?: string, type?: string) =>
        (
            await s3.s3.send(
                new CreateMultipartUploadCommand({
                    Bucket: TEST_BUCKET,
                    Key: key,
                    ChecksumAlgorithm: algorithm as ChecksumAlgorithm | undefined,
                    ChecksumType: type as ChecksumType | undefined,
                }),
            )
        ).UploadId!;
    const partWith = (key: string, uploadId: string, partNumber: number, body: Buffer, checksum = {}) =>
        s3.s3.send(
            new UploadPartCommand({
                Bucket: TEST_BUCKET,
                Key: key,
                UploadId: uploadId,
                PartNumber: partNumber,
                Body: body,
                ...checksum,
            }),
        );
    const completeWith = (
        key: string,
        uploadId: string,
        parts: CompletedPart[],
        extra: Partial<CompleteMultipartUploadCommandInput> = {},
    ) =>
        s3.s3.send(
            new CompleteMultipartUploadCommand({
                Bucket: TEST_BUCKET,
                Key: key,
                UploadId: uploadId,
                MultipartUpload: { Parts: parts },
                ...extra,
            }),
        );
    const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("base64");

    it("s3-tests test_multipart_checksum_sha256: a wrong x-amz-checksum-sha256 on CompleteMultipartUpload → 400 BadDigest (with or without the parts' checksums listed), nothing is stored; the composite checksum completes", async () => {
        const key = "incoming/composite.jpg";
        const uploadId = await createWith(key, "SHA256");
        const body = Buffer.alloc(1024, "A");
        const part = await partWith(key, uploadId, 1, body, {
            ChecksumSHA256: "arcu6553sHVAiX4MjW0j7I7vD4w6R+Gz9Ok0Q9lTa+0=",
        });
        expect(part.ChecksumSHA256).to.equal("arcu6553sHVAiX4MjW0j7I7vD4w6R+Gz9Ok0Q9lTa+0=");
        const listed = { PartNumber: 1, ETag: part.ETag, ChecksumSHA256: part.ChecksumSHA256 };
        const badDigest = { status: 400, code: "BadDigest" };
        expect(await failureOf(completeWith(key, uploadId, [listed], { ChecksumSHA256: "bad" }))).to.deep.equal(
            badDigest,
        );
        expect(
            await failureOf(
                completeWith(key, uploadId, [{ PartNumber: 1, ETag: part.ETag }], { ChecksumSHA256: "bad" }),
            ),
        ).to.deep.equal(badDigest);
        // The object's own SHA-256 is not the checksum of a multipart upload: that is the checksum of checksums.
        expect(await failureOf(completeWith(key, uploadId, [listed], { ChecksumSHA256: sha256(body) }))).to.deep.equal(
            badDigest,
        );
        expect(await s3.head(key)).to.equal(undefined);
        const composite = "Ok6Cs5b96ux6+MWQkJO7UBT5sKPBeXBLwvj/hK89smg=-1";
        const done = await completeWith(key, uploadId, [listed], { ChecksumSHA256: composite });
        expect([done.ChecksumSHA256, done.ChecksumType]).to.deep.equal([composite, "COMPOSITE"]);
        expect((await read(key)).bytes.equals(body)).to.equal(true);
    });

    // test_multipart_use_cksum_helper_<algorithm>: three 5 MiB parts of "A", "B", "C".
    const cases: [algorithm: string, type: string, parts: string[], object: string][] = [
        [
            "SHA256",
            "COMPOSITE",
            [
                "275VF5loJr1YYawit0XSHREhkFXYkkPKGuoK0x9VKxI=",
                "mrHwOfjTL5Zwfj74F05HOQGLdUb7E5szdCbxgUSq6NM=",
                "Vw7oB/nKQ5xWb3hNgbyfkvDiivl+U+/Dft48nfJfDow=",
            ],
            "uWBwpe1dxI4Vw8Gf0X9ynOdw/SS6VBzfWm9giiv1sf4=-3",
        ],
        [
            "SHA1",
            "COMPOSITE",
            ["iIaTCGbm+vdVjNqIMF2S0T7ibMk=", "LS/TJ32bAVKEwRu+sE3X7awh/lk=", "6DDwovUaHwrKNXDMzOGbuvj9kxI="],
            "sizjvY4eud3MrcHdZM3cQ/ol39o=-3",
        ],
        ["CRC32", "FULL_OBJECT", ["JRTCyQ==", "QoZTGg==", "YAgjqw=="], "WgDhBQ=="],
        ["CRC32C", "FULL_OBJECT", ["MDaLrw==", "TH4EZg==", "Z7mBIQ=="], "xU+Krw=="],
        ["CRC64NVME", "FULL_OBJECT", ["L/E4WYn8v98=", "xW1l19VobYM=", "cK5MnNaWrW4="], "i+6LR0y3eFo="],
    ];
    const bodies = ["A", "B", "C"].map((fill) => Buffer.alloc(5 * MiB, fill));
    for (const [algorithm, type, partChecksums, object] of cases) {
        it(`s3-tests test_multipart_use_cksum_helper_${algorithm.toLowerCase()}: ${type} ${algorithm} of three parts is ${object}; another value → 400 BadDigest`, async () => {
            const key = `incoming/${algorithm.toLowerCase()}.jpg`;
            const uploadId = await createWith(key, algorithm, type);
            const field = `Checksum${algorithm}`;
            const parts: CompletedPart[] = [];
            for (const [index, body] of bodies.entries()) {
                const answer = await partWith(key, uploadId, index + 1, body, { [field]: partChecksums[index] });
                parts.push({ PartNumber: index + 1, ETag: answer.ETag, [field]: partChecksums[index] });
            }
            const wrong = object.replace(/^./, (c) => (c === "A" ? "B" : "A"));
            expect(await failureOf(completeWith(key, uploadId, parts, { [field]: wrong }))).to.deep.equal({
                status: 400,
                code: "BadDigest",
            });
            const done = (await completeWith(key, uploadId, parts, { [field]: object })) as unknown as Record<
                string,
                unknown
            >;
            expect([done[field], done.ChecksumType]).to.deep.equal([object, type]);
        });
    }

    it("an upload created with an algorithm: a part sent without a checksum gets it computed (answered, listed); one with another algorithm's → 400 InvalidRequest", async () => {
        const key = "incoming/computed.jpg";
        const uploadId = await createWith(key, "SHA256");
        const answer = await partWith(key, uploadId, 1, tail);
        expect(answer.ChecksumSHA256).to.equal(sha256(tail));
        const listed = await s3.s3.send(new ListPartsCommand({ Bucket: TEST_BUCKET, Key: key, UploadId: uploadId }));
        expect(listed.Parts?.map((p) => p.ChecksumSHA256)).to.deep.equal([sha256(tail)]);
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(tail) >>> 0);
        expect(
            await refusalOf(partWith(key, uploadId, 1, tail, { ChecksumCRC32: crc.toString("base64") })),
        ).to.deep.equal({
            status: 400,
            code: "InvalidRequest",
            message: "Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: crc32",
        });
    });

    it("Complete of an upload with an algorithm: a part listed without its checksum → 400 InvalidRequest; a gap in the part numbers → 400 InvalidPartOrder (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompletedPart.html); another checksum type or algorithm → 400", async () => {
        const key = "incoming/rules.jpg";
        const uploadId = await createWith(key, "SHA256");
        const first = await partWith(key, uploadId, 1, fiveMiB);
        const third = await partWith(key, uploadId, 3, tail);
        const one = { PartNumber: 1, ETag: first.ETag, ChecksumSHA256: first.ChecksumSHA256 };
        expect(await refusalOf(completeWith(key, uploadId, [{ PartNumber: 1, ETag: first.ETag }]))).to.deep.equal({
            status: 400,
            code: "InvalidRequest",
            message:
                "The upload was created using a sha256 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request.",
        });
        const gap = [one, { PartNumber: 3, ETag: third.ETag, ChecksumSHA256: third.ChecksumSHA256 }];
        expect(await failureOf(completeWith(key, uploadId, gap))).to.deep.equal({
            status: 400,
            code: "InvalidPartOrder",
        });
        // https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html (x-amz-checksum-type).
        expect(await refusalOf(completeWith(key, uploadId, [one], { ChecksumType: "FULL_OBJECT" }))).to.deep.equal({
            status: 400,
            code: "BadDigest",
            message:
                "The upload was created using the COMPOSITE checksum mode. The complete request must use the same checksum mode.",
        });
        expect(await failureOf(completeWith(key, uploadId, [one], { ChecksumCRC32: "AAAAAA==" }))).to.deep.equal({
            status: 400,
            code: "InvalidRequest",
        });
        expect(await s3.head(key)).to.equal(undefined);
        const done = await completeWith(key, uploadId, [one], { ChecksumType: "COMPOSITE" });
        expect(done.ChecksumSHA256).to.equal(
            `${createHash("sha256").update(Buffer.from(first.ChecksumSHA256!, "base64")).digest("base64")}-1`,
        );
    });

    it("CreateMultipartUpload refuses an unknown algorithm, a type without an algorithm, and a type the algorithm does not have → 400 InvalidRequest; answers the algorithm and type it accepts", async () => {
        const refused: [algorithm: string | undefined, type: string | undefined, message: string][] = [
            [
                "MD5",
                undefined,
                "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
            ],
            [
                undefined,
                "COMPOSITE",
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
            ],
            [
                "SHA256",
                "FULL_OBJECT",
                "The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.",
            ],
            [
                "CRC64NVME",
                "COMPOSITE",
                "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.",
            ],
            ["CRC32", "PARTS", "Value for x-amz-checksum-type header is invalid."],
        ];
        // Accepted, S3 answers the algorithm and its type (composite by default, but CRC64NVME is full-object only).
        for (const [algorithm, type] of [
            ["CRC32", "COMPOSITE"],
            ["CRC64NVME", "FULL_OBJECT"],
        ]) {
            const created = await s3.s3.send(
                new CreateMultipartUploadCommand({
                    Bucket: TEST_BUCKET,
                    Key: "incoming/accepted.jpg",
                    ChecksumAlgorithm: algorithm as ChecksumAlgorithm,
                }),
            );
            expect([created.ChecksumAlgorithm, created.ChecksumType]).to.deep.equal([algorithm, type]);
        }
        for (const [algorithm, type, message] of refused)
            expect(await refusalOf(createWith("incoming/refused.jpg", algorithm, type)), message).to.deep.equal({
                status: 400,
                code: "InvalidRequest",
                message,
            });
    });

    it("an upload created without an algorithm completes with no checksum (as Uppy's do), and checks a CRC64NVME sent with Complete (S3's default full-object checksum)", async () => {
        const key = "incoming/default.jpg";
        const uploadId = await create(key);
        const etag = await part(key, uploadId, 1, tail);
        expect(
            await failureOf(
                completeWith(key, uploadId, [{ PartNumber: 1, ETag: etag }], { ChecksumCRC64NVME: "AAAAAAAAAAA=" }),
            ),
        ).to.deep.equal({ status: 400, code: "BadDigest" });
        expect(
            await failureOf(
                completeWith(key, uploadId, [{ PartNumber: 1, ETag: etag }], { ChecksumSHA256: sha256(tail) }),
            ),
        ).to.deep.equal({ status: 400, code: "InvalidRequest" });
        const crc64 = new Crc64Nvme();
        crc64.update(tail);
        const right = Buffer.from(await crc64.digest()).toString("base64");
        await completeWith(key, uploadId, [{ PartNumber: 1, ETag: etag }], { ChecksumCRC64NVME: right });
        expect((await read(key)).bytes.equals(tail)).to.equal(true);
    });
});
