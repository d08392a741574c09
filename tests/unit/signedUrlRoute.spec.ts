// GET /uploads/<uuid>/url (functions/presign/signedUrlRoute.ts) on the presign handler against the loopback S3: it
// signs only a ready upload's original or an allowed size, with the configured lifetime, and refuses the rest with
// the project's JSON error.
import { expect } from "chai";
import { generateKeyPairSync, verify } from "crypto";
import { randomUUID } from "crypto";
import { createPresignHandler } from "../../functions/presign/presign";
import type { PresignSettings } from "../../functions/presign/settings";
import { uploadKeys } from "../../functions/shared/bucketLayout";
import { cannedPolicy, fromCloudFrontBase64 } from "../../functions/shared/cloudfrontPolicy";
import { putStatus } from "../../functions/shared/statusStore";
import { statusWithoutImage, UploadStatus } from "../../functions/shared/uploadStatus";
import { httpEvent } from "../support/events";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";

const CDN = "https://d111111abcdef8.cloudfront.net";
const NOW = 1_767_290_400_000;
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

describe("the signing route GET /uploads/<uuid>/url (functions/presign/signedUrlRoute.ts)", () => {
    let s3: TestS3;
    before(async () => {
        s3 = await startTestS3();
    });
    after(() => s3.close());

    const base: PresignSettings = {
        bucket: TEST_BUCKET,
        allowedContentTypes: ["image/png"],
        maxUploadBytes: 1000,
        expiresIn: 60,
        cdnUrl: CDN,
        requireAuth: false,
    };
    const urlSigning = {
        keyPairId: "K2JCJMDEHXQW5F",
        expiresIn: 600,
        allowedResolutions: ["300x300"],
        maxDimension: 2048,
    };
    const ask = (path: string, settings: PresignSettings = { ...base, urlSigning }, method = "GET") =>
        createPresignHandler({
            s3: s3.s3,
            now: () => NOW,
            log: () => undefined,
            settings,
            signingKey: async () => privateKey,
        })(httpEvent(method, path));
    const stored = async (status: "pending" | "ready" | "rejected") => {
        const uuid = randomUUID();
        const keys = uploadKeys(uuid, "png");
        const pending = statusWithoutImage("pending", keys.finalKey);
        const body =
            status === "ready" ? { ...pending, status, width: 1, height: 1, bytes: 1 } : { ...pending, status };
        await putStatus(s3.s3, TEST_BUCKET, keys.statusKey, body as UploadStatus);
        return { uuid, key: keys.finalKey };
    };

    it("a ready upload: a canned-policy URL for the original or an allowed size, expiring after signedUrlExpiresIn", async () => {
        const { uuid, key } = await stored("ready");
        for (const [query, path] of [
            ["", `/${key}`],
            ["?size=300x300", `/300x300/${key}`],
        ]) {
            const result = await ask(`/uploads/${uuid}/url${query}`);
            expect(result.statusCode, query).to.equal(200);
            const { url, expiresAt } = JSON.parse(result.body);
            const expires = NOW / 1000 + 600;
            expect(expiresAt).to.equal(new Date(expires * 1000).toISOString());
            expect(url.startsWith(`${CDN}${path}?Expires=${expires}&Signature=`)).to.equal(true);
            const signature = Buffer.from(fromCloudFrontBase64(new URL(url).searchParams.get("Signature")!)!, "base64");
            expect(verify("sha1", Buffer.from(cannedPolicy(`${CDN}${path}`, expires)), publicKey, signature)).to.equal(
                true,
            );
        }
    });

    it("still being checked → 409 not_ready; rejected → 404 no_image; unknown → 404; a size not allowed → 400", async () => {
        const code = async (path: string) => {
            const result = await ask(path);
            return [result.statusCode, JSON.parse(result.body).error.code];
        };
        expect(await code(`/uploads/${(await stored("pending")).uuid}/url`)).to.deep.equal([409, "not_ready"]);
        expect(await code(`/uploads/${(await stored("rejected")).uuid}/url`)).to.deep.equal([404, "no_image"]);
        expect(await code(`/uploads/${randomUUID()}/url`)).to.deep.equal([404, "unknown_upload"]);
        const { uuid } = await stored("ready");
        expect(await code(`/uploads/${uuid}/url?size=640x480`)).to.deep.equal([400, "size_not_allowed"]);
    });

    it("on a public stack it is not there (404); another method → 405", async () => {
        const { uuid } = await stored("ready");
        const publicStack = await ask(`/uploads/${uuid}/url`, base);
        expect(publicStack.statusCode).to.equal(404);
        expect((await ask(`/uploads/${uuid}/url`, undefined, "POST")).statusCode).to.equal(405);
    });
});
