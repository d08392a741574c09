import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import sharp from "sharp";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createS3Client } from "../../functions/shared/s3Client";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/s3/localS3";
import { LOCAL_BUCKET, startLocalPipeline } from "../../local/server";
import { parsePipelineConfig } from "../../config/stackConfig";
import { devStackConfig } from "../support/program";
import { jpegBytes, pngWithAlpha } from "../support/images";
import { awaitChecked, startTestPipeline } from "../support/localPipeline";

/** A JSON answer, loosely typed: the specs assert on its fields. */
const jsonOf = (response: Response): Promise<any> => response.json();

describe("local mode end to end over HTTP (local/server.ts)", () => {
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    let photo: Buffer;
    before(async () => {
        pipeline = await startTestPipeline();
        photo = await jpegBytes(1600, 1000);
    });
    after(() => pipeline.close());

    const api = (path: string, init: RequestInit = {}) => fetch(`${pipeline.url}/api${path}`, init);
    const presign = async (route: string, contentType: string) => {
        const response = await api(route, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ contentType }),
        });
        expect(response.status).to.equal(200);
        return jsonOf(response);
    };
    const cdn = (key: string, init: RequestInit = {}) => fetch(`${pipeline.url}/cdn/${key}`, init);
    const dimensions = async (response: Response) => {
        const metadata = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
        return [metadata.width, metadata.height];
    };

    it("serves the page and its config from Pulumi.dev.yaml", async () => {
        const page = await fetch(`${pipeline.url}/`);
        expect(page.status).to.equal(200);
        expect(await page.text()).to.include("<title>image-pipeline");
        const config = await jsonOf(await fetch(`${pipeline.url}/config.json`));
        expect(config.allowedResolutions).to.deep.equal(["300x300", "640x480", "1280x720"]);
    });

    it("presign → PUT → original through /cdn → every allowed variant at its size → 304 on revalidation", async () => {
        const signed = await presign("/uploads", "image/jpeg");
        expect(signed.url).to.equal(`${pipeline.url}/cdn/${signed.key}`);
        const put = await fetch(signed.uploadUrl, { method: "PUT", headers: signed.headers, body: photo });
        expect(put.status).to.equal(200);
        expect((await awaitChecked(signed.statusUrl)).status).to.equal("ready");

        const original = await cdn(signed.key);
        expect(original.status).to.equal(200);
        expect(original.headers.get("content-type")).to.equal("image/jpeg");
        expect(Buffer.from(await original.arrayBuffer()).equals(photo)).to.equal(true);

        for (const [size, expected] of [
            ["300x300", [300, 300]],
            ["640x480", [640, 480]],
            ["1280x720", [1280, 720]],
        ] as const) {
            const variant = await cdn(`${size}/${signed.key}`);
            expect(variant.status, size).to.equal(200);
            expect(variant.headers.get("cache-control")).to.equal("public, max-age=31536000, immutable");
            expect(await dimensions(variant), size).to.deep.equal(expected);
        }

        const first = await cdn(`640x480/${signed.key}`);
        const etag = first.headers.get("etag")!;
        expect(etag).to.match(/^"[0-9a-f]{32}"$/);
        const revalidated = await cdn(`640x480/${signed.key}`, { headers: { "if-none-match": etag } });
        expect(revalidated.status).to.equal(304);
        expect(await revalidated.text()).to.equal("");
        const originalEtag = original.headers.get("etag")!;
        expect((await cdn(signed.key, { headers: { "if-none-match": originalEtag } })).status).to.equal(304);
    });

    it("presign → size-capped POST → original and variant through /cdn; over the cap is refused by the gate", async () => {
        const png = await pngWithAlpha(500, 400);
        const signed = await presign("/uploads/form", "image/png");
        const form = new FormData();
        for (const [name, value] of Object.entries(signed.fields as Record<string, string>)) form.append(name, value);
        form.append("file", new Blob([new Uint8Array(png)]), "a.png");
        expect((await fetch(signed.uploadUrl, { method: "POST", body: form })).status).to.equal(201);
        expect((await awaitChecked(signed.statusUrl)).status).to.equal("ready");
        expect(await dimensions(await cdn(`300x300/${signed.key}`))).to.deep.equal([300, 300]);

        const small = await startTestPipeline({ "image-pipeline:maxUploadBytes": "1000" });
        try {
            const response = await fetch(`${small.url}/api/uploads/form`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: '{"contentType":"image/png"}',
            });
            const tooBig = await jsonOf(response);
            const overCap = new FormData();
            for (const [name, value] of Object.entries(tooBig.fields as Record<string, string>))
                overCap.append(name, value);
            overCap.append("file", new Blob([new Uint8Array(png)]), "a.png");
            const refused = await fetch(tooBig.uploadUrl, { method: "POST", body: overCap });
            expect(refused.status).to.equal(400);
            expect(await refused.text()).to.include("<Code>EntityTooLarge</Code>");
        } finally {
            await small.close();
        }
    });

    it("refuses a hand-made PUT with another Content-Type, as S3 does", async () => {
        const signed = await presign("/uploads", "image/png");
        const put = await fetch(signed.uploadUrl, {
            method: "PUT",
            headers: { "Content-Type": "image/svg+xml" },
            body: "<svg/>",
        });
        expect(put.status).to.equal(403);
        expect(await put.text()).to.include("<Code>SignatureDoesNotMatch</Code>");
        expect((await cdn(signed.key)).status).to.equal(404);
    });

    it("answers 403 for a size not allowed, 404 for a missing original, and never caches the errors", async () => {
        const signed = await presign("/uploads", "image/jpeg");
        await fetch(signed.uploadUrl, { method: "PUT", headers: signed.headers, body: photo });
        await awaitChecked(signed.statusUrl);
        const notAllowed = await cdn(`333x333/${signed.key}`);
        expect(notAllowed.status).to.equal(403);
        expect(notAllowed.headers.get("cache-control")).to.equal("no-store");
        expect((await jsonOf(notAllowed)).error.code).to.equal("size_not_allowed");
        expect((await cdn("300x300/uploads/00000000-0000-4000-8000-000000000000.jpg")).status).to.equal(404);
    });

    it("resizes once for 20 concurrent first requests of a variant", async () => {
        const signed = await presign("/uploads", "image/jpeg");
        await fetch(signed.uploadUrl, { method: "PUT", headers: signed.headers, body: photo });
        await awaitChecked(signed.statusUrl);
        const before = pipeline.resizeCalls();
        const responses = await Promise.all(Array.from({ length: 20 }, () => cdn(`640x480/${signed.key}`)));
        const bodies = await Promise.all(responses.map(async (r) => Buffer.from(await r.arrayBuffer())));
        expect(responses.map((r) => r.status)).to.deep.equal(Array(20).fill(200));
        expect(pipeline.resizeCalls() - before).to.equal(1);
        expect(bodies.every((body) => body.equals(bodies[0]))).to.equal(true);
        await cdn(`640x480/${signed.key}`);
        expect(pipeline.resizeCalls() - before, "later requests come from storage").to.equal(1);
    });

    it("keeps the seed-article flows: GET /api/uploads with x-extension, GET /api/resize → 307 to the CDN", async () => {
        const seeded = await jsonOf(
            await api("/uploads", { headers: { "x-extension": "jpg", "content-type": "application/jpg" } }),
        );
        expect(seeded).to.include.keys("presignedUrl", "key");
        expect(seeded.headers).to.deep.equal({ "Content-Type": "image/jpeg", "If-None-Match": "*" }); // what the seed client must now send
        expect(
            (await fetch(seeded.presignedUrl, { method: "PUT", headers: seeded.headers, body: photo })).status,
        ).to.equal(200);
        expect((await awaitChecked(seeded.statusUrl)).status).to.equal("ready");
        const redirect = await api(`/resize?key=300x300/${seeded.key}`, { redirect: "manual" });
        expect(redirect.status).to.equal(307);
        expect(redirect.headers.get("location")).to.equal(`${pipeline.url}/cdn/300x300/${seeded.key}`);
        expect(await dimensions(await fetch(redirect.headers.get("location")!))).to.deep.equal([300, 300]);
    });

    it("refuses an API body over 1 MiB with a JSON 413 that the client can read", async () => {
        const response = await api("/uploads", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: new Uint8Array(2 * 1024 * 1024),
        });
        expect(response.status).to.equal(413);
        expect((await jsonOf(response)).error.code).to.equal("body_too_large");
    });

    it("CDN: GET and HEAD only; gzip and brotli for compressible types, none for images", async () => {
        expect((await cdn("uploads/x.jpg", { method: "DELETE" })).status).to.equal(405);
        const s3 = createS3Client({ endpoint: pipeline.s3Url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
        await s3.send(
            new PutObjectCommand({
                Bucket: LOCAL_BUCKET,
                Key: "uploads/notes.json",
                Body: JSON.stringify({ text: "x".repeat(5000) }),
                ContentType: "application/json",
            }),
        );
        s3.destroy();
        const viaHttp = (key: string, encoding: string) =>
            new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
                // fetch decompresses transparently; read the raw answer's headers with http.get instead.
                require("http")
                    .get(`${pipeline.url}/cdn/${key}`, { headers: { "accept-encoding": encoding } }, (res: any) => {
                        res.resume();
                        resolve(res.headers);
                    })
                    .on("error", reject);
            });
        expect((await viaHttp("uploads/notes.json", "gzip, br"))["content-encoding"]).to.equal("br");
        expect((await viaHttp("uploads/notes.json", "gzip"))["content-encoding"]).to.equal("gzip");
        expect((await viaHttp("uploads/notes.json", "identity"))["content-encoding"]).to.equal(undefined);
        const signed = await presign("/uploads", "image/jpeg");
        await fetch(signed.uploadUrl, { method: "PUT", headers: signed.headers, body: photo });
        await awaitChecked(signed.statusUrl);
        expect((await viaHttp(signed.key, "gzip, br"))["content-encoding"]).to.equal(undefined);
        const head = await cdn(signed.key, { method: "HEAD" });
        expect(head.status).to.equal(200);
        expect(head.headers.get("content-length")).to.equal(String(photo.length));
    });

    it("keeps uploads in the data folder across a restart", async () => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-pipeline-restart-"));
        const config = parsePipelineConfig(devStackConfig());
        const first = await startLocalPipeline({ config, port: 0, s3Port: 0, dataDir });
        let key: string;
        try {
            const signed = await jsonOf(
                await fetch(`${first.url}/api/uploads`, { method: "POST", body: '{"contentType":"image/jpeg"}' }),
            );
            key = signed.key;
            expect(
                (await fetch(signed.uploadUrl, { method: "PUT", headers: signed.headers, body: photo })).status,
            ).to.equal(200);
            await awaitChecked(signed.statusUrl);
        } finally {
            await first.close();
        }
        const second = await startLocalPipeline({ config, port: 0, s3Port: 0, dataDir });
        try {
            const again = await fetch(`${second.url}/cdn/${key}`);
            expect(again.status).to.equal(200);
            expect(Buffer.from(await again.arrayBuffer()).equals(photo)).to.equal(true);
        } finally {
            await second.close();
            fs.rmSync(dataDir, { recursive: true, force: true });
        }
    });
});
