// S3's key rules, checked before any S3 call (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html):
// at most 1,024 bytes of UTF-8; this pipeline also refuses control characters, empty/./.. segments and segments
// over 255 bytes (it writes none, and a file-backed store cannot hold one): stricter than S3, never laxer.
import { expect } from "chai";
import { checkObjectKey, MAX_KEY_BYTES } from "../../functions/shared/objectKey";
import { HttpError } from "../../functions/shared/http";
import { createResizeHandler } from "../../functions/resize/resize";
import { httpEvent } from "../support/events";

function refusal(key: string): { status: number; code: string } | undefined {
    try {
        checkObjectKey(key);
        return undefined;
    } catch (error) {
        expect(error).to.be.instanceOf(HttpError);
        return { status: (error as HttpError).statusCode, code: (error as HttpError).code };
    }
}

describe("object keys from requests (functions/shared/objectKey.ts)", () => {
    it("accepts what the pipeline writes, up to exactly 1,024 bytes of UTF-8", () => {
        expect(refusal("uploads/9b1d4f0e-2c1a-4c7e-9a52-0c8e7f1d2a3b.jpg")).to.equal(undefined);
        expect(refusal("640x480/uploads/user.2D1/9b1d.png")).to.equal(undefined);
        const segment = "é".repeat(100); // 200 bytes
        const exact = `uploads/${[segment, segment, segment, segment, segment].join("/")}/${"a".repeat(MAX_KEY_BYTES - 8 - 5 * 201)}`;
        expect(Buffer.byteLength(exact)).to.equal(MAX_KEY_BYTES);
        expect(refusal(exact)).to.equal(undefined);
        expect(refusal(`${exact}a`)).to.deep.equal({ status: 414, code: "key_too_long" });
    });

    for (const [name, key] of [
        ["empty", ""],
        ["a NUL byte", "uploads/x\u0000.jpg"],
        ["a newline", "uploads/x\n.jpg"],
        ["DEL", "uploads/x\u007f.jpg"],
        ["a leading /", "/uploads/x.jpg"],
        ["a trailing /", "uploads/"],
        ["//", "uploads//x.jpg"],
        ["a . segment", "uploads/./x.jpg"],
        ["a .. segment", "uploads/../x.jpg"],
        ["a lone surrogate", "uploads/\ud800.jpg"],
        ["a 256-byte segment", `uploads/${"a".repeat(252)}.jpg`],
    ]) {
        it(`refuses a key with ${name}: 400 invalid_key`, () => {
            expect(refusal(key)).to.deep.equal({ status: 400, code: "invalid_key" });
        });
    }

    it("the resize handler refuses such keys before any S3 call, on both of its routes", async () => {
        let calls = 0;
        const handler = createResizeHandler({
            s3: {
                send: async () => {
                    calls++;
                    throw Object.assign(new Error("x"), { name: "InternalError" });
                },
            } as never,
            log: () => undefined,
            settings: {
                metricsNamespace: "image-pipeline/test",
                bucket: "b",
                uploadPrefix: "uploads/",
                allowedResolutions: ["640x480"],
                maxDimension: 2048,
                fit: "cover",
                gravity: "centre",
                quality: 80,
                limitInputPixels: 1e7,
                cdnUrl: "https://cdn.example.com",
            },
        });
        for (const [key, status] of [
            ["640x480/uploads/x%00.jpg", 400],
            [`640x480/uploads/${"a".repeat(296)}.jpg`, 400],
            [`640x480/uploads/${"a".repeat(1100)}.jpg`, 414],
            ["640x480/uploads//x.jpg", 400],
        ] as const) {
            for (const path of [`/${key}`, `/resize?key=${key}`]) {
                const result = await handler(httpEvent("GET", path));
                expect(result.statusCode, path.slice(0, 60)).to.equal(status);
            }
        }
        expect(calls).to.equal(0);
    });
});
