// privateDelivery end to end in local mode: the local CDN asks every image for a CloudFront signature and checks it
// as CloudFront does (local/cdn/signedUrlVerify.ts), and GET /api/uploads/<id>/url signs (functions/presign/
// signedUrlRoute.ts) with local mode's own key pair (local/urlSigningKeyPair.ts).
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-urls.html
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import sharp from "sharp";
import { localAuth } from "../../local/localAuth";
import { jpegBytes } from "../support/images";
import { awaitChecked, startTestPipeline } from "../support/localPipeline";

const ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example";
const AUDIENCE = "client-id-1";
const CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
const LIFETIME = 120;

type Pipeline = Awaited<ReturnType<typeof startTestPipeline>>;

/** Uploads a JPEG (with a JWT when given) and waits until it is ready; answers its key and its id. */
async function uploadJpeg(pipeline: Pipeline, token?: string): Promise<{ key: string; id: string }> {
    const authorization: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const response = await fetch(`${pipeline.url}/api/uploads`, {
        method: "POST",
        headers: { "content-type": "application/json", ...authorization },
        body: JSON.stringify({ contentType: "image/jpeg" }),
    });
    const signed: any = await response.json();
    const put = await fetch(signed.uploadUrl, {
        method: "PUT",
        headers: signed.headers,
        body: await jpegBytes(800, 600),
    });
    expect(put.status).to.equal(200);
    expect((await awaitChecked(signed.statusUrl, authorization)).status).to.equal("ready");
    const key: string = signed.key;
    return { key, id: key.slice(key.lastIndexOf("/") + 1, key.lastIndexOf(".")) };
}

/** CloudFront's refusal: 403, its XML error, none of the images' headers. */
async function expectCloudFrontRefusal(response: Response, code: string): Promise<void> {
    expect(response.status).to.equal(403);
    expect(response.headers.get("content-type")).to.equal("text/xml");
    expect(await response.text()).to.match(new RegExp(`^<\\?xml [^>]*\\?><Error><Code>${code}</Code><Message>`));
}

describe("private images in local mode (privateDelivery): signed URLs checked as CloudFront checks them", function () {
    this.timeout(120_000);
    let pipeline: Pipeline;
    /** The CDN's clock, moved by the expiry test (never a sleep). */
    let cdnNow = Date.now;
    let upload: { key: string; id: string };
    before(async () => {
        pipeline = await startTestPipeline(
            { "image-pipeline:privateDelivery": "true", "image-pipeline:signedUrlExpiresIn": String(LIFETIME) },
            { cdnClock: () => cdnNow() },
        );
        upload = await uploadJpeg(pipeline);
    });
    after(() => pipeline?.close());

    const signedUrl = async (query = "") => {
        const response = await fetch(`${pipeline.url}/api/uploads/${upload.id}/url${query}`);
        expect(response.status, await response.clone().text()).to.equal(200);
        return (await response.json()) as { url: string; expiresAt: string };
    };

    it("keeps its key pair in the data folder, readable by its user only", () => {
        const file = path.join(pipeline.dataDir, "url-signing-key.pem");
        expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    });

    it("an unsigned original or variant → 403 with CloudFront's error body (MissingKey)", async () => {
        await expectCloudFrontRefusal(await fetch(`${pipeline.url}/cdn/${upload.key}`), "MissingKey");
        await expectCloudFrontRefusal(await fetch(`${pipeline.url}/cdn/300x300/${upload.key}`), "MissingKey");
        // Even a path no object is at: the signature is checked first.
        await expectCloudFrontRefusal(await fetch(`${pipeline.url}/cdn/uploads/none.jpg`), "MissingKey");
    });

    it("the route's URL for the original → 200, the image; { url, expiresAt } with the configured lifetime", async () => {
        const before = Math.floor(Date.now() / 1000);
        const { url, expiresAt } = await signedUrl();
        expect(url.startsWith(`${pipeline.url}/cdn/${upload.key}?Expires=`)).to.equal(true);
        expect(url).to.match(/&Signature=[A-Za-z0-9~_-]+&Key-Pair-Id=K[A-Z2-7]{13}$/);
        const expires = Date.parse(expiresAt) / 1000;
        expect(expires - before).to.be.within(LIFETIME, LIFETIME + 2);
        expect(url).to.include(`Expires=${expires}&`);
        const response = await fetch(url);
        expect(response.status).to.equal(200);
        const metadata = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
        expect([metadata.format, metadata.width, metadata.height]).to.deep.equal(["jpeg", 800, 600]);
    });

    it("a variant made on request stays behind the same signature; with autoFormat one signed URL serves the format the edge picks", async () => {
        const { url } = await signedUrl("?size=300x300");
        expect(url.startsWith(`${pipeline.url}/cdn/300x300/${upload.key}?`)).to.equal(true);
        const resizes = pipeline.resizeCalls();
        const webp = await fetch(url, { headers: { accept: CHROME.replace("image/avif,", "") } });
        expect(webp.status).to.equal(200);
        expect(webp.headers.get("content-type")).to.equal("image/webp");
        const jpeg = await fetch(url, { headers: { accept: "*/*" } });
        expect(jpeg.headers.get("content-type")).to.equal("image/jpeg");
        const metadata = await sharp(Buffer.from(await jpeg.arrayBuffer())).metadata();
        expect([metadata.width, metadata.height]).to.deep.equal([300, 300]);
        expect(pipeline.resizeCalls()).to.be.greaterThan(resizes);
        // The format key itself needs its own signature: the one for the plain URI opens nothing else.
        const formatPath = url.replace(`/300x300/${upload.key}`, `/300x300/webp/${upload.key}`);
        await expectCloudFrontRefusal(await fetch(formatPath), "AccessDenied");
    });

    it("that URL with a changed size, another upload's key, or a flipped signature byte → 403", async () => {
        const { url } = await signedUrl("?size=300x300");
        await expectCloudFrontRefusal(await fetch(url.replace("/300x300/", "/640x480/")), "AccessDenied");
        await expectCloudFrontRefusal(await fetch(url.replace("/300x300/", "/")), "AccessDenied");
        await expectCloudFrontRefusal(
            await fetch(
                url.replace(
                    upload.id,
                    upload.id.replace(/^./, (c) => (c === "a" ? "b" : "a")),
                ),
            ),
            "AccessDenied",
        );
        const at = url.indexOf("Signature=") + "Signature=".length + 20;
        const flipped = `${url.slice(0, at)}${url[at] === "A" ? "B" : "A"}${url.slice(at + 1)}`;
        await expectCloudFrontRefusal(await fetch(flipped), "AccessDenied");
        expect((await fetch(url)).status).to.equal(200);
    });

    it("after expiry → 403 (the CDN's clock moved past Expires, no sleep)", async () => {
        const { url, expiresAt } = await signedUrl();
        const expires = Date.parse(expiresAt);
        try {
            cdnNow = () => expires - 1000;
            expect((await fetch(url)).status).to.equal(200);
            cdnNow = () => expires;
            await expectCloudFrontRefusal(await fetch(url), "AccessDenied");
        } finally {
            cdnNow = Date.now;
        }
    });

    it("the route refuses what it cannot sign: an unknown id → 404, a size the Resizer would refuse or a stray parameter → 400", async () => {
        const api = (route: string) => fetch(`${pipeline.url}/api${route}`);
        const unknown = await api("/uploads/7d0f8a6e-1a2b-4c3d-8e9f-0123456789ab/url");
        expect(unknown.status).to.equal(404);
        for (const query of ["?size=301x301", "?size=big", "?sizes=300x300"]) {
            const refused = await api(`/uploads/${upload.id}/url${query}`);
            expect(refused.status, query).to.equal(400);
            expect(((await refused.json()) as any).error.code, query).to.be.oneOf([
                "size_not_allowed",
                "invalid_size",
                "invalid_parameter",
            ]);
        }
    });

    it("a private stack has no /resize route (its redirect would lead to a URL nobody may open)", async () => {
        const response = await fetch(`${pipeline.url}/api/resize?key=300x300/${upload.key}`);
        expect(response.status).to.equal(404);
    });

    it("the page's config says the images are private (web/gallery.js then asks for signed URLs)", async () => {
        const config = (await (await fetch(`${pipeline.url}/config.json`)).json()) as any;
        expect(config.privateDelivery).to.equal(true);
    });
});

describe("private images in local mode with jwtIssuer: only the owner gets a signed URL", function () {
    this.timeout(120_000);
    let pipeline: Pipeline;
    let auth: ReturnType<typeof localAuth>;
    const token = (sub: string) => auth.token({ sub });
    before(async () => {
        pipeline = await startTestPipeline({
            "image-pipeline:privateDelivery": "true",
            "image-pipeline:jwtIssuer": ISSUER,
            "image-pipeline:jwtAudience": AUDIENCE,
        });
        auth = localAuth({ dataDir: pipeline.dataDir, issuer: ISSUER, audiences: [AUDIENCE] });
    });
    after(() => pipeline?.close());

    it("the owner → 200 and a URL that opens the image; another user's id → 404, not 403; no token → 401", async () => {
        const { key, id } = await uploadJpeg(pipeline, token("alice"));
        const ask = (headers: Record<string, string>) =>
            fetch(`${pipeline.url}/api/uploads/${id}/url?size=640x480`, { headers });
        const mine = await ask({ authorization: `Bearer ${token("alice")}` });
        expect(mine.status).to.equal(200);
        const { url } = (await mine.json()) as { url: string };
        expect(url.startsWith(`${pipeline.url}/cdn/640x480/${key}?`)).to.equal(true);
        expect((await fetch(url)).status).to.equal(200);
        const theirs = await ask({ authorization: `Bearer ${token("bob")}` });
        expect(theirs.status).to.equal(404);
        // The same answer as an id nobody has: nothing tells that the id exists.
        expect(((await theirs.json()) as any).error.code).to.equal("unknown_upload");
        expect((await ask({})).status).to.equal(401);
    });
});
