import { expect } from "chai";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Browser, Page, Request, Route } from "playwright-core";
import { noiseJpeg } from "../support/images";
import { awaitChecked, startTestPipeline } from "../support/localPipeline";
import { launchChromium, skipWithoutChromium } from "../support/headlessChromium";

const JWT_STACK = {
    "image-pipeline:jwtIssuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
    "image-pipeline:jwtAudience": "client-id-1",
};

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** web/uppy.html: Uppy 6 with @uppy/aws-s3 (companionEndpoint = the local API), bundled from npm by local mode. */
describe("the Uppy example page in headless Chromium (web/uppy.html, @uppy/aws-s3 multipart)", function () {
    this.timeout(300_000);
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    let browser: Browser;
    let page: Page;
    let dir: string;
    let file: string;
    let bytes: Buffer;

    before(async function () {
        skipWithoutChromium(this);
        // 64 MiB: room for the 40 MB file (the default cap is 10 MiB).
        pipeline = await startTestPipeline({ "image-pipeline:maxUploadBytes": String(64 * MiB) });
        browser = await launchChromium();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-pipeline-uppy-"));
        bytes = await noiseJpeg(3800, 3800);
        expect(bytes.length).to.be.greaterThan(40_000_000);
        file = path.join(dir, "large.jpg");
        fs.writeFileSync(file, bytes);
    });
    after(async () => {
        await browser?.close();
        await pipeline?.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(async () => {
        page = await browser.newPage();
        await page.goto(`${pipeline.url}/uppy.html`);
        await page.waitForSelector("body[data-ready=true]");
    });
    afterEach(() => page?.close());

    /** The part PUTs the page sends to S3 (their part numbers, in order). */
    function partRequests(): number[] {
        const parts: number[] = [];
        page.on("request", (request: Request) => {
            const url = new URL(request.url());
            if (request.method() === "PUT" && url.searchParams.has("uploadId"))
                parts.push(Number(url.searchParams.get("partNumber")));
        });
        return parts;
    }

    /** Waits for the uploaded original to pass the ingest checks, then reads it from the CDN. */
    async function storedOriginal(key: string): Promise<Buffer> {
        const uuid = /([0-9a-f-]{36})\.jpg$/.exec(key)![1];
        const status = await awaitChecked(`${pipeline.url}/api/uploads/${uuid}`);
        expect(status.status, JSON.stringify(status)).to.equal("ready");
        const response = await fetch(`${pipeline.url}/cdn/${key}`);
        expect(response.status).to.equal(200);
        return Buffer.from(await response.arrayBuffer());
    }

    it("uploads a 40 MB clean baseline JPEG in 5 MiB parts; the original under uploads/ is sha256-identical", async () => {
        const parts = partRequests();
        await page.setInputFiles(".uppy-Dashboard-input >> nth=0", file);
        const done = page.locator("#uploads li[data-key], #uploads li[data-error]").first();
        await done.waitFor({ timeout: 240_000 });
        expect(await done.getAttribute("data-error")).to.equal(null);
        const key = (await done.getAttribute("data-key"))!;
        expect(key).to.match(/^uploads\/[0-9a-f-]{36}\.jpg$/);
        expect(parts).to.deep.equal(
            Array.from({ length: Math.ceil(bytes.length / (5 * MiB)) }, (_, index) => index + 1),
        );
        expect(sha256(await storedOriginal(key))).to.equal(sha256(bytes));
    });

    it("a part request cut mid-upload (and its automatic retries) fails the file; retry lists the parts S3 has and sends only the rest; same sha256", async () => {
        const parts = partRequests();
        let cuts = 0;
        // The third part's connection drops (a flaky link) until the file fails: Uppy retries a failed request 3
        // times by itself, then reports the file failed. Every other request goes through untouched.
        const cutThirdPart = async (route: Route) => {
            if (route.request().method() !== "PUT") return route.continue();
            cuts++;
            return route.abort("connectionreset");
        };
        const isThirdPart = (url: URL) => url.searchParams.get("partNumber") === "3";
        await page.route(isThirdPart, cutThirdPart);
        await page.setInputFiles(".uppy-Dashboard-input >> nth=0", file);
        await page.locator("#uploads li[data-error]").first().waitFor({ timeout: 240_000 });
        await page.unroute(isThirdPart, cutThirdPart);
        expect(cuts).to.be.greaterThan(0);
        const beforeRetry = parts.length;
        expect([...new Set(parts)]).to.deep.equal([1, 2, 3]);
        const listed = page.waitForRequest(
            (request) =>
                request.method() === "GET" && /\/api\/s3\/multipart\/[^/]+$/.test(new URL(request.url()).pathname),
        );
        await page.evaluate(() => (globalThis as any).uppy.retryAll());
        await listed;
        const done = page.locator("#uploads li[data-key]").first();
        await done.waitFor({ timeout: 240_000 });
        // Parts 1 and 2 were sent once: the retry resumed the upload from part 3 instead of starting over.
        const total = Math.ceil(bytes.length / (5 * MiB));
        expect(parts.slice(beforeRetry)).to.deep.equal(Array.from({ length: total - 2 }, (_, index) => index + 3));
        expect(parts.filter((part) => part === 1)).to.have.length(1);
        const key = (await done.getAttribute("data-key"))!;
        expect(sha256(await storedOriginal(key))).to.equal(sha256(bytes));
    });
});

/**
 * With jwtIssuer the upload routes want a JWT, and @uppy/aws-s3 6 sends no Authorization header to its
 * companionEndpoint. The page trades its JWT for an upload grant (POST /uploads/grant) and gives Uppy the endpoint
 * that carries it (functions/presign/grantRoutes.ts); local mode checks JWTs as the HTTP API's authorizer does.
 */
describe("the Uppy example page with a JWT-protected local stack (jwtIssuer): Uppy uploads under an upload grant", function () {
    this.timeout(300_000);
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    let browser: Browser;
    let dir: string;
    let file: string;
    let bytes: Buffer;

    before(async function () {
        skipWithoutChromium(this);
        pipeline = await startTestPipeline({ "image-pipeline:maxUploadBytes": String(64 * MiB), ...JWT_STACK });
        browser = await launchChromium();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-pipeline-uppy-jwt-"));
        bytes = await noiseJpeg(2000, 2000); // about 11 MB: three parts
        expect(bytes.length).to.be.greaterThan(10 * MiB);
        file = path.join(dir, "photo.jpg");
        fs.writeFileSync(file, bytes);
    });
    after(async () => {
        await browser?.close();
        await pipeline?.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("sends the parts through /api/g/<grant>/s3 with no Authorization header; the original lands under the user's prefix, sha256-identical", async () => {
        const page = await browser.newPage();
        const apiRequests: { path: string; authorization?: string }[] = [];
        page.on("request", (request: Request) => {
            const url = new URL(request.url());
            if (url.pathname.startsWith("/api/"))
                apiRequests.push({ path: url.pathname, authorization: request.headers().authorization });
        });
        try {
            await page.goto(`${pipeline.url}/uppy.html?sub=${encodeURIComponent("auth0|alice")}`);
            await page.waitForSelector("body[data-ready=true]");
            await page.setInputFiles(".uppy-Dashboard-input >> nth=0", file);
            const done = page.locator("#uploads li[data-key], #uploads li[data-error]").first();
            await done.waitFor({ timeout: 240_000 });
            expect(await done.getAttribute("data-error")).to.equal(null);
            const key = (await done.getAttribute("data-key"))!;
            expect(key).to.match(/^uploads\/auth0\.7Calice\/[0-9a-f-]{36}\.jpg$/);

            // The JWT went to the grant route only; every Uppy route went under the grant, without it.
            const grants = apiRequests.filter((request) => request.path === "/api/uploads/grant");
            expect(grants).to.have.length(1);
            expect(grants[0].authorization).to.match(/^Bearer /);
            const underGrant = apiRequests.filter((request) => request.path.startsWith("/api/g/"));
            expect(underGrant.length).to.be.greaterThan(Math.ceil(bytes.length / (5 * MiB))); // create, parts, complete
            for (const request of underGrant) expect(request.authorization, request.path).to.equal(undefined);
            expect(apiRequests.filter((request) => request.path.startsWith("/api/s3/"))).to.deep.equal([]);

            const { token } = (await (await fetch(`${pipeline.url}/local/token?sub=auth0%7Calice`)).json()) as {
                token: string;
            };
            const uuid = /([0-9a-f-]{36})\.jpg$/.exec(key)![1];
            const status = await awaitChecked(`${pipeline.url}/api/uploads/${uuid}`, {
                authorization: `Bearer ${token}`,
            });
            expect(status.status, JSON.stringify(status)).to.equal("ready");
            const stored = await fetch(`${pipeline.url}/cdn/${key}`);
            expect(stored.status).to.equal(200);
            expect(sha256(Buffer.from(await stored.arrayBuffer()))).to.equal(sha256(bytes));
        } finally {
            await page.close();
        }
    });
});
