// Nothing half-written: S3 stores an object whole or not at all, keeps an original's variants in step with it
// (its event notifications run the cleanup function, as on AWS), honours If-None-Match: *, and checks Content-MD5
// and every flexible checksum.
import { expect } from "chai";
import * as fs from "fs";
import * as net from "net";
import {
    CompleteMultipartUploadCommand,
    CreateMultipartUploadCommand,
    DeleteObjectCommand,
    DeleteObjectsCommand,
    ListObjectsV2Command,
    PutObjectCommand,
    UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { Crc64Nvme } from "@aws-sdk/crc64-nvme";
import { createHash } from "crypto";
import { crc32 } from "zlib";
import { randomUUID } from "crypto";
import { s3ErrorOf, startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";
import { createCleanupHandler } from "../../functions/cleanup/cleanup";
import { putVariantCommand } from "../../functions/resize/storeVariant";
import { UPLOADS_PREFIX } from "../../functions/shared/bucketLayout";
import { originalVersionOf } from "../../functions/shared/originalVersion";
import { S3Event } from "../../functions/shared/s3Event";
import { localInvalidations } from "../../local/cdn/invalidations";

const GOOD = Buffer.alloc(64 * 1024, 1);

describe("local S3: nothing half-written, nothing stale", () => {
    let s3: TestS3;
    // Local mode's subscription: originals written or removed under uploads/ → the cleanup function.
    let cleanup: (event: S3Event) => Promise<void>;
    before(async () => {
        s3 = await startTestS3({
            notifications: [
                {
                    prefix: UPLOADS_PREFIX,
                    events: ["ObjectCreated", "ObjectRemoved"],
                    deliver: (event) => cleanup(event),
                    log: () => undefined,
                },
            ],
        });
        cleanup = createCleanupHandler({
            s3: s3.s3,
            cloudfront: localInvalidations().client,
            settings: {
                bucket: TEST_BUCKET,
                distributionId: "LOCAL",
                allowedResolutions: ["300x300", "640x480"],
                metricsNamespace: "image-pipeline/test",
            },
            log: () => undefined,
        });
    });
    after(() => s3.close());

    const put = (key: string, body: Buffer, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}) =>
        s3.s3.send(
            new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key, Body: body, ContentType: "image/png", ...extra }),
        );
    const read = (key: string) => s3.read(key);
    const keys = async () =>
        (await s3.s3.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET }))).Contents?.map((o) => o.Key!).sort() ?? [];
    const failureOf = async (send: Promise<unknown>) => {
        try {
            await send;
            return undefined;
        } catch (error) {
            const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
            return { status: e.$metadata?.httpStatusCode, code: e.Code ?? e.name };
        }
    };
    const partialFiles = () =>
        (fs.readdirSync(s3.directory, { recursive: true }) as string[]).filter((name) => name.includes(".partial-"));

    /** Sends a presigned PUT's headers and half its declared body on a raw socket, then disconnects. */
    async function interruptedPut(key: string): Promise<void> {
        const url = new URL(
            await getSignedUrl(s3.s3, new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key }), { expiresIn: 60 }),
        );
        const socket = net.connect(Number(url.port), url.hostname);
        await new Promise((resolve) => socket.once("connect", resolve));
        socket.write(
            `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: ${GOOD.length}\r\n\r\n`,
        );
        socket.write(Buffer.alloc(GOOD.length / 2, 9));
        await new Promise((resolve) => setTimeout(resolve, 200)); // let the half reach the store
        socket.destroy();
        // The store notices the disconnect and drops its temporary file: wait for that (bounded), then look.
        for (let tries = 0; tries < 100 && partialFiles().length > 0; tries++)
            await new Promise((resolve) => setTimeout(resolve, 50));
    }

    describe("an interrupted PUT stores nothing (S3 never stores a partial object)", () => {
        it("a new key stays absent: 404, no temporary file left", async () => {
            await interruptedPut("uploads/interrupted.png");
            expect(await read("uploads/interrupted.png")).to.equal(undefined);
            expect(partialFiles()).to.deep.equal([]);
        });

        it("an existing key keeps its intact bytes", async () => {
            await put("uploads/kept.png", GOOD);
            await interruptedPut("uploads/kept.png");
            expect((await read("uploads/kept.png"))?.equals(GOOD)).to.equal(true);
        });
    });

    describe("replacing or deleting an original deletes its variants (<W>x<H>/<original key>)", () => {
        const id = randomUUID();
        const original = `uploads/${id}.png`;
        const variants = [`300x300/uploads/${id}.png`, `640x480/uploads/${id}.png`];
        const bystanders = [
            `300x300/uploads/${id}.png.bak`,
            `300x300/uploads/x/uploads/${id}.png`,
            `uploads/${id}.png.old`,
            `300x300/uploads/${randomUUID()}.png`,
        ];
        beforeEach(async () => {
            await put(original, Buffer.from(original));
            await s3.server.notificationsSettled();
            // Made from the original as it is now, as the Resizer stores them: the cleanup function deletes the
            // variants made from another version of it (functions/shared/originalVersion.ts).
            const source = { originalKey: original, version: originalVersionOf((await s3.head(original))!) };
            const rendered = (key: string) => ({
                bytes: Buffer.from(key),
                contentType: "image/png" as const,
                width: 1,
                height: 1,
            });
            for (const key of variants) await s3.s3.send(putVariantCommand(TEST_BUCKET, key, rendered(key), source));
            for (const key of bystanders) await put(key, Buffer.from(key));
            await s3.server.notificationsSettled();
        });
        afterEach(async () => {
            for (const key of await keys())
                await s3.s3.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
        });
        /** What is left once the event notifications the request sent have been handled. */
        const remaining = async () => {
            await s3.server.notificationsSettled();
            return (await keys()).filter((key) => [original, ...variants, ...bystanders].includes(key));
        };

        it("on PUT", async () => {
            await put(original, GOOD);
            expect(await remaining()).to.deep.equal([original, ...bystanders].sort());
        });

        it("on DELETE", async () => {
            await s3.s3.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key: original }));
            expect(await remaining()).to.deep.equal([...bystanders].sort());
        });

        it("on DeleteObjects", async () => {
            await s3.s3.send(
                new DeleteObjectsCommand({ Bucket: TEST_BUCKET, Delete: { Objects: [{ Key: original }] } }),
            );
            expect(await remaining()).to.deep.equal([...bystanders].sort());
        });

        it("on a browser POST upload", async () => {
            const { url, fields } = await createPresignedPost(s3.s3, {
                Bucket: TEST_BUCKET,
                Key: original,
                Expires: 60,
            });
            const form = new FormData();
            for (const [name, value] of Object.entries(fields)) form.append(name, value);
            form.append("file", new Blob([new Uint8Array(GOOD)]), "cat.png");
            expect((await fetch(url, { method: "POST", body: form })).status).to.equal(204);
            expect(await remaining()).to.deep.equal([original, ...bystanders].sort());
        });

        it("on CompleteMultipartUpload", async () => {
            const { UploadId } = await s3.s3.send(
                new CreateMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: original }),
            );
            const { ETag } = await s3.s3.send(
                new UploadPartCommand({ Bucket: TEST_BUCKET, Key: original, UploadId, PartNumber: 1, Body: GOOD }),
            );
            expect(await remaining()).to.have.members([original, ...variants, ...bystanders]); // parts alone change nothing
            await s3.s3.send(
                new CompleteMultipartUploadCommand({
                    Bucket: TEST_BUCKET,
                    Key: original,
                    UploadId,
                    MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] },
                }),
            );
            expect(await remaining()).to.deep.equal([original, ...bystanders].sort());
        });

        it("but not when the write is refused", async () => {
            expect(
                await failureOf(
                    put(original, GOOD, { ContentMD5: createHash("md5").update("other").digest("base64") }),
                ),
            ).to.deep.equal({ status: 400, code: "BadDigest" });
            expect(await remaining()).to.have.members([original, ...variants, ...bystanders]);
        });
    });

    describe("conditional writes: If-None-Match: * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html)", () => {
        it("PutObject on an existing key → 412 PreconditionFailed, the object unchanged; on a new key it is stored", async () => {
            await put("uploads/once.png", GOOD);
            expect(await failureOf(put("uploads/once.png", Buffer.from("second"), { IfNoneMatch: "*" }))).to.deep.equal(
                { status: 412, code: "PreconditionFailed" },
            );
            expect((await read("uploads/once.png"))?.equals(GOOD)).to.equal(true);
            await put("uploads/fresh.png", GOOD, { IfNoneMatch: "*" });
            expect((await read("uploads/fresh.png"))?.equals(GOOD)).to.equal(true);
        });

        it("of concurrent conditional PUTs of one new key, exactly one is stored and the others get 412", async () => {
            const bodies = [0, 1, 2, 3].map((n) => Buffer.alloc(32 * 1024, n));
            const outcomes = await Promise.all(
                bodies.map((body) => failureOf(put("uploads/race.png", body, { IfNoneMatch: "*" }))),
            );
            expect(outcomes.filter((outcome) => outcome === undefined)).to.have.length(1);
            expect(outcomes.filter((outcome) => outcome?.status === 412)).to.have.length(3);
            const winner = bodies[outcomes.indexOf(undefined)];
            expect((await read("uploads/race.png"))?.equals(winner)).to.equal(true);
        });

        it("a presigned PUT that signs if-none-match → 412 PreconditionFailed on an existing key", async () => {
            await put("uploads/presigned-once.png", GOOD);
            const url = await getSignedUrl(
                s3.s3,
                new PutObjectCommand({ Bucket: TEST_BUCKET, Key: "uploads/presigned-once.png", IfNoneMatch: "*" }),
                { expiresIn: 60, signableHeaders: new Set(["if-none-match"]) },
            );
            const response = await fetch(url, {
                method: "PUT",
                headers: { "If-None-Match": "*" },
                body: Buffer.from("second"),
            });
            expect(await s3ErrorOf(response)).to.include({ status: 412, code: "PreconditionFailed" });
            expect((await read("uploads/presigned-once.png"))?.equals(GOOD)).to.equal(true);
        });

        it("CompleteMultipartUpload on an existing key → 412 PreconditionFailed", async () => {
            await put("uploads/multi-once.png", GOOD);
            const { UploadId } = await s3.s3.send(
                new CreateMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: "uploads/multi-once.png" }),
            );
            const { ETag } = await s3.s3.send(
                new UploadPartCommand({
                    Bucket: TEST_BUCKET,
                    Key: "uploads/multi-once.png",
                    UploadId,
                    PartNumber: 1,
                    Body: Buffer.from("second"),
                }),
            );
            expect(
                await failureOf(
                    s3.s3.send(
                        new CompleteMultipartUploadCommand({
                            Bucket: TEST_BUCKET,
                            Key: "uploads/multi-once.png",
                            UploadId,
                            IfNoneMatch: "*",
                            MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] },
                        }),
                    ),
                ),
            ).to.deep.equal({ status: 412, code: "PreconditionFailed" });
            expect((await read("uploads/multi-once.png"))?.equals(GOOD)).to.equal(true);
        });
    });

    describe("integrity checks (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html)", () => {
        it("a wrong Content-MD5 → 400 BadDigest, nothing stored; the right one is accepted", async () => {
            expect(
                await failureOf(
                    put("uploads/md5.png", GOOD, { ContentMD5: createHash("md5").update("other").digest("base64") }),
                ),
            ).to.deep.equal({ status: 400, code: "BadDigest" });
            expect(await read("uploads/md5.png")).to.equal(undefined);
            await put("uploads/md5.png", GOOD, { ContentMD5: createHash("md5").update(GOOD).digest("base64") });
            expect((await read("uploads/md5.png"))?.equals(GOOD)).to.equal(true);
        });

        it("a wrong x-amz-checksum-crc64nvme → 400 BadDigest; the right one is accepted", async () => {
            const checksum = new Crc64Nvme();
            checksum.update(GOOD);
            const right = Buffer.from(await checksum.digest()).toString("base64");
            expect(
                await failureOf(put("uploads/crc64.png", GOOD, { ChecksumCRC64NVME: "AAAAAAAAAAA=" })),
            ).to.deep.equal({ status: 400, code: "BadDigest" });
            expect(await read("uploads/crc64.png")).to.equal(undefined);
            await put("uploads/crc64.png", GOOD, { ChecksumCRC64NVME: right });
            expect((await read("uploads/crc64.png"))?.equals(GOOD)).to.equal(true);
        });

        it("CompleteMultipartUpload carrying its composite checksum is not a BadDigest (the XML body is not the object)", async () => {
            const key = "uploads/composite.png";
            const partChecksum = Buffer.alloc(4);
            partChecksum.writeUInt32BE(crc32(GOOD));
            const { UploadId } = await s3.s3.send(
                new CreateMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: key, ChecksumAlgorithm: "CRC32" }),
            );
            const { ETag } = await s3.s3.send(
                new UploadPartCommand({
                    Bucket: TEST_BUCKET,
                    Key: key,
                    UploadId,
                    PartNumber: 1,
                    Body: GOOD,
                    ChecksumCRC32: partChecksum.toString("base64"),
                }),
            );
            const composite = Buffer.alloc(4);
            composite.writeUInt32BE(crc32(partChecksum));
            await s3.s3.send(
                new CompleteMultipartUploadCommand({
                    Bucket: TEST_BUCKET,
                    Key: key,
                    UploadId,
                    ChecksumCRC32: `${composite.toString("base64")}-1`,
                    MultipartUpload: {
                        Parts: [{ PartNumber: 1, ETag, ChecksumCRC32: partChecksum.toString("base64") }],
                    },
                }),
            );
            expect((await read(key))?.equals(GOOD)).to.equal(true);
        });
    });
});
