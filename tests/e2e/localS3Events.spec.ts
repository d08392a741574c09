// Local mode's bucket notification (local/s3/objectCreatedEvents.ts): after a successful write under the
// prefix, the local S3 sends AWS's ObjectCreated event JSON to the function; nothing else is announced, and a
// failing function is logged, never fatal.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
import { expect } from "chai";
import { createHash } from "crypto";
import {
    CompleteMultipartUploadCommand,
    CreateMultipartUploadCommand,
    DeleteObjectCommand,
    DeleteObjectsCommand,
    PutObjectCommand,
    UploadPartCommand,
} from "@aws-sdk/client-s3";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { S3Event, S3EventRecord } from "../../functions/shared/s3Event";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";

describe("local S3 ObjectCreated notifications (local/s3/objectCreatedEvents.ts)", () => {
    let s3: TestS3;
    let records: S3EventRecord[];
    let logs: string[];
    let failNext = false;

    before(async () => {
        s3 = await startTestS3({
            objectCreated: {
                prefix: "incoming/",
                deliver: async (event: S3Event) => {
                    if (failNext) {
                        failNext = false;
                        throw new Error("the function failed");
                    }
                    records.push(...(event.Records ?? []));
                },
                log: (line) => logs.push(line),
            },
            // A second entry of the notification configuration: removals (and writes) under gone/.
            notifications: [
                {
                    prefix: "gone/",
                    events: ["ObjectRemoved"],
                    deliver: async (event: S3Event) => {
                        records.push(...(event.Records ?? []));
                    },
                    log: (line) => logs.push(line),
                },
            ],
        });
    });
    after(() => s3.close());
    beforeEach(() => {
        records = [];
        logs = [];
    });

    const put = (key: string, body = Buffer.from("bytes"), extra: { IfNoneMatch?: string } = {}) =>
        s3.s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key, Body: body, ...extra }));
    /** Waits until `count` records have arrived (deliveries are asynchronous, as on AWS). */
    const arrived = async (count: number) => {
        for (let i = 0; i < 500 && records.length < count; i++) await new Promise((r) => setTimeout(r, 10));
        return records;
    };

    it("a PUT under the prefix → one ObjectCreated:Put in AWS's shape (key URL-encoded, space as '+', size, eTag)", async () => {
        const body = Buffer.from("hello event");
        await put("incoming/red flower+1.jpg", body);
        const [record] = await arrived(1);
        expect(record.eventName).to.equal("ObjectCreated:Put");
        expect(record.eventSource).to.equal("aws:s3");
        expect(record.s3.bucket.name).to.equal(TEST_BUCKET);
        expect(record.s3.object.key).to.equal("incoming/red+flower%2B1.jpg");
        expect(record.s3.object.size).to.equal(body.length);
        expect(record.s3.object.eTag).to.equal(createHash("md5").update(body).digest("hex"));
    });

    it("writes outside the prefix, failed writes and uploaded parts announce nothing", async () => {
        await put("uploads/a.jpg");
        await put("incoming/once.jpg");
        await arrived(1);
        records = [];
        const refused = await put("incoming/once.jpg", Buffer.from("again"), { IfNoneMatch: "*" }).catch(
            (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode,
        );
        expect(refused, "the conditional write is refused").to.equal(412);
        const { UploadId } = await s3.s3.send(
            new CreateMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: "incoming/parts.jpg" }),
        );
        await s3.s3.send(
            new UploadPartCommand({
                Bucket: TEST_BUCKET,
                Key: "incoming/parts.jpg",
                UploadId,
                PartNumber: 1,
                Body: Buffer.from("part"),
            }),
        );
        await put("incoming/sentinel.jpg"); // announced after everything above
        const names = (await arrived(1)).map((record) => record.s3.object.key);
        expect(names).to.deep.equal(["incoming/sentinel.jpg"]);
    });

    it("a CompleteMultipartUpload → ObjectCreated:CompleteMultipartUpload", async () => {
        const Key = "incoming/multi.jpg";
        const { UploadId } = await s3.s3.send(new CreateMultipartUploadCommand({ Bucket: TEST_BUCKET, Key }));
        const part = await s3.s3.send(
            new UploadPartCommand({ Bucket: TEST_BUCKET, Key, UploadId, PartNumber: 1, Body: Buffer.from("one part") }),
        );
        await s3.s3.send(
            new CompleteMultipartUploadCommand({
                Bucket: TEST_BUCKET,
                Key,
                UploadId,
                MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] },
            }),
        );
        const [record] = await arrived(1);
        expect([record.eventName, record.s3.object.key, record.s3.object.size]).to.deep.equal([
            "ObjectCreated:CompleteMultipartUpload",
            Key,
            8,
        ]);
    });

    it("a browser POST upload → ObjectCreated:Post", async () => {
        const { url, fields } = await createPresignedPost(s3.s3, { Bucket: TEST_BUCKET, Key: "incoming/form.png" });
        const form = new FormData();
        for (const [name, value] of Object.entries(fields)) form.append(name, value);
        form.append("file", new Blob([Buffer.from("posted")]), "form.png");
        const answer = await fetch(url, { method: "POST", body: form });
        expect(answer.status, await answer.text()).to.equal(204);
        const [record] = await arrived(1);
        expect([record.eventName, record.s3.object.key]).to.deep.equal(["ObjectCreated:Post", "incoming/form.png"]);
    });

    it("a failing function is logged; the upload still succeeded and the next event is delivered", async () => {
        failNext = true;
        await put("incoming/fails.jpg");
        for (let i = 0; i < 500 && logs.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        expect(JSON.parse(logs[0])).to.include({ level: "error", key: "incoming/fails.jpg" });
        expect(await s3.head("incoming/fails.jpg")).to.not.equal(undefined);
        await put("incoming/after.jpg");
        expect((await arrived(1))[0].s3.object.key).to.equal("incoming/after.jpg");
    });

    it("a DELETE and a DeleteObjects under a removal subscription → ObjectRemoved:Delete each, without size or eTag", async () => {
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html: a removal
        // record carries the key and a sequencer, no size and no eTag.
        for (const key of ["gone/a b.jpg", "gone/c.jpg", "gone/d.jpg"]) await put(key);
        await s3.server.notificationsSettled();
        expect(records, "writes under gone/ are not subscribed").to.deep.equal([]);
        await s3.s3.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key: "gone/a b.jpg" }));
        await s3.s3.send(
            new DeleteObjectsCommand({
                Bucket: TEST_BUCKET,
                Delete: { Objects: [{ Key: "gone/c.jpg" }, { Key: "gone/d.jpg" }] },
            }),
        );
        await s3.server.notificationsSettled();
        expect(records.map((record) => [record.eventName, record.s3.object.key])).to.deep.equal([
            ["ObjectRemoved:Delete", "gone/a+b.jpg"],
            ["ObjectRemoved:Delete", "gone/c.jpg"],
            ["ObjectRemoved:Delete", "gone/d.jpg"],
        ]);
        for (const record of records) {
            expect(record.s3.object).to.not.have.any.keys("size", "eTag");
            expect(record.s3.object.sequencer).to.match(/^[0-9A-F]{16}$/);
        }
        await s3.s3.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key: "incoming/after.jpg" }));
        await s3.server.notificationsSettled();
        expect(records, "no removal subscription under incoming/").to.have.length(3);
    });
});
