// The order in local mode's CDN (local/cdn/cdn.ts) with privateDelivery: the signature is checked on the URI the
// viewer sent, before the viewer-request function (autoFormat) picks a format and before any origin is asked, as
// CloudFront checks a behaviour's trusted key groups on the request it receives and the function then sees only a
// request that passed. So one signed URL for "<W>x<H>/uploads/<id>.<ext>" serves whichever format key the function
// picks, and no format key is reachable without a signature of its own (docs/private-images.md, "Formats").
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-trusted-signers.html
import { expect } from "chai";
import { generateKeyPairSync } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import type { S3Client } from "@aws-sdk/client-s3";
import { signCannedUrl } from "../../functions/shared/cloudfrontSignature";
import { createCdn } from "../../local/cdn/cdn";
import type { ViewerRequest } from "../../local/cdn/edgeRuntime";

const KEY_PAIR_ID = "KLOCALORDER0001";
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

describe("local CDN with privateDelivery: the signature is checked before the format function and the origins", () => {
    const functionSaw: string[] = [];
    const bucketAsked: string[] = [];
    let server: http.Server;
    let base: string;
    let now = Date.now();

    before(async () => {
        const s3 = {
            async send(command: { input: { Key: string } }) {
                bucketAsked.push(command.input.Key);
                return {
                    ContentType: "image/webp",
                    Body: { transformToByteArray: async () => new Uint8Array([82, 73, 70, 70]) },
                };
            },
        } as unknown as S3Client;
        const cdn = createCdn({
            s3,
            bucket: "images",
            basePath: "/cdn",
            corsOrigins: [],
            resize: async () => {
                throw new Error("not reached: the bucket has every key here");
            },
            // Stands for functions/edge/chooseFormat.js: WebP when the viewer takes it.
            viewerRequest: (request: ViewerRequest) => {
                functionSaw.push(request.uri);
                return String(request.headers.accept).includes("image/webp")
                    ? request.uri.replace(/^\/(\d+x\d+)\//, "/$1/webp/")
                    : request.uri;
            },
            signedUrls: { keys: new Map([[KEY_PAIR_ID, publicKey]]), now: () => now },
        });
        server = http.createServer((req, res) => {
            const [rawPath, query = ""] = (req.url ?? "/").split(/\?(.*)/s, 2);
            void cdn.handle(req, res, rawPath.slice(4), query);
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cdn`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => {
        functionSaw.length = 0;
        bucketAsked.length = 0;
        now = Date.now();
    });

    const sign = (path: string, expiresAt = Math.floor(now / 1000) + 600) =>
        signCannedUrl({ url: `${base}${path}`, expiresAt, keyPairId: KEY_PAIR_ID, privateKey });
    const webp = { accept: "image/webp,*/*" };

    it("a refused request (unsigned, tampered or expired) never reaches the function nor the bucket", async () => {
        const path = "/300x300/uploads/a.jpg";
        const signed = sign(path);
        for (const url of [
            `${base}${path}`,
            signed.replace(/Signature=./, (m) => (m.endsWith("A") ? `${m.slice(0, -1)}B` : `${m.slice(0, -1)}A`)),
            sign(path, Math.floor(now / 1000) - 1),
        ]) {
            const response = await fetch(url, { headers: webp });
            expect(response.status, url).to.equal(403);
            expect(response.headers.get("content-type")).to.equal("text/xml");
        }
        expect(functionSaw).to.deep.equal([]);
        expect(bucketAsked).to.deep.equal([]);
    });

    it("a signed request: the function then sees the viewer's URI and picks the format; the bucket is asked for the key it picked", async () => {
        const response = await fetch(sign("/300x300/uploads/a.jpg"), { headers: webp });
        expect(response.status).to.equal(200);
        expect(functionSaw).to.deep.equal(["/300x300/uploads/a.jpg"]);
        expect(bucketAsked).to.deep.equal(["300x300/webp/uploads/a.jpg"]);
    });

    it("the format key the function would pick is no way around the signature: its URL needs a signature of its own", async () => {
        const plain = sign("/300x300/uploads/a.jpg");
        const response = await fetch(plain.replace("/300x300/", "/300x300/webp/"), { headers: webp });
        expect(response.status).to.equal(403);
        expect(functionSaw).to.deep.equal([]);
        expect(bucketAsked).to.deep.equal([]);
    });
});
