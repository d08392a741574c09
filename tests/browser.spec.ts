import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Browser, chromium, Page } from "playwright-core";
import { jpegBytes } from "./support/images";
import { startTestPipeline } from "./support/localPipeline";

const CHROMIUM = "/usr/bin/chromium";
// As the machine's probe runs it: no sandbox as root, and no background traffic to hosts we cannot reach.
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

describe("the upload page in headless Chromium (web/)", function () {
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    let browser: Browser;
    let page: Page;
    let dir: string;

    before(async function () {
        if (!fs.existsSync(CHROMIUM)) {
            // CI installs Debian's chromium (.ci/run); elsewhere, say why this spec did not run.
            if (process.env.CI) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
            this.skip();
        }
        pipeline = await startTestPipeline();
        browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-pipeline-browser-"));
    });
    after(async () => {
        await browser?.close();
        await pipeline?.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(async () => {
        page = await browser.newPage();
        await page.goto(`${pipeline.url}/`);
        await page.waitForSelector("body[data-ready=true]");
    });
    afterEach(() => page.close());

    async function uploadThroughPage(method: "put" | "post", fileName: string, bytes: Buffer) {
        const file = path.join(dir, fileName);
        fs.writeFileSync(file, bytes);
        await page.check(`input[name=method][value=${method}]`);
        await page.setInputFiles("#file-input", file);
        const item = page.locator("#uploads li").first();
        await item.locator(".status", { hasText: /Uploaded|error|refused|said no|Wrong|Too big/ }).waitFor({ timeout: 20_000 });
        return item;
    }

    async function loadedImages(item: ReturnType<Page["locator"]>) {
        await item.locator(".gallery img").first().waitFor();
        // These callbacks run in the page (the project's types are Node's, hence `any`).
        await page.waitForFunction((count) => {
            const images: any[] = Array.from((globalThis as any).document.querySelectorAll("#uploads li:first-child .gallery img"));
            return images.length === count && images.every((image) => image.complete && image.naturalWidth > 0);
        }, 4, { timeout: 20_000 });
        return item.locator(".gallery img").evaluateAll((images: any[]) => images.map((image) =>
            [image.dataset.variant, image.naturalWidth, image.naturalHeight]));
    }

    for (const method of ["put", "post"] as const) {
        it(`uploads a generated image with a presigned ${method.toUpperCase()}, shows 100 % and every variant at its size`, async () => {
            const item = await uploadThroughPage(method, `photo-${method}.jpg`, await jpegBytes(1600, 1200));
            const status = await item.locator(".status").textContent();
            expect(status).to.include("100 %");
            expect(status).to.include(`(${method.toUpperCase()})`);
            expect(await item.locator("progress").evaluate((bar: any) => bar.value)).to.equal(100);
            expect(await loadedImages(item)).to.deep.equal([
                ["original", 1600, 1200], ["300x300", 300, 300], ["640x480", 640, 480], ["1280x720", 1280, 720],
            ]);
            await page.locator("#uploads li:first-child figcaption", { hasText: "1280x720: 1280×720" }).waitFor();
        });
    }

    it("declares the file's size when signing a PUT, so the URL it uploads with has content-length signed", async () => {
        const bytes = await jpegBytes(320, 240);
        const signRequest = page.waitForRequest((request) => request.method() === "POST" && new URL(request.url()).pathname.endsWith("/uploads"));
        const putRequest = page.waitForRequest((request) => request.method() === "PUT");
        const item = await uploadThroughPage("put", "sized.jpg", bytes);
        expect((await signRequest).postDataJSON()).to.deep.equal({ contentType: "image/jpeg", size: bytes.length });
        expect(new URL((await putRequest).url()).searchParams.get("X-Amz-SignedHeaders")).to.equal("content-length;content-type;host;if-none-match");
        expect(await item.locator(".status").textContent()).to.include("100 %");
    });

    it("says in plain words why a file is refused before uploading it", async () => {
        const item = await uploadThroughPage("put", "notes.txt", Buffer.from("not an image"));
        expect(await item.locator(".status").textContent()).to.match(/^Wrong type: text\/plain is not one of jpeg, png/);
        expect(await item.locator(".gallery").count()).to.equal(0);
    });
});
