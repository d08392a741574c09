// The upload page (web/gallery.js) shows the variants its upload's status names (`variants`, and with any size
// allowed the plain keys of `storedVariants`), never keys it builds from the config: with allowAnyResolution the
// status names the eager sizes, and a size the config would not list is shown when the status names it.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Browser, Page } from "playwright-core";
import { jpegBytes } from "../support/images";
import { startTestPipeline } from "../support/localPipeline";
import { launchChromium, skipWithoutChromium } from "../support/headlessChromium";

describe("the upload page shows the variant keys of the upload's status", function () {
    this.timeout(60_000);
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    let browser: Browser;
    let page: Page;
    let dir: string;

    before(async function () {
        skipWithoutChromium(this);
        // Any size up to 200 px; one made at ingest, in the original's format and in AVIF and WebP.
        pipeline = await startTestPipeline({
            "image-pipeline:allowedResolutions": "",
            "image-pipeline:allowAnyResolution": "true",
            "image-pipeline:maxResizeDimension": "200",
            "image-pipeline:eagerResolutions": "160x120",
        });
        browser = await launchChromium();
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

    /** Uploads a JPEG and answers the finished item's gallery: [label, width, height] of each image. */
    async function upload(name: string) {
        const file = path.join(dir, name);
        fs.writeFileSync(file, await jpegBytes(640, 480));
        await page.setInputFiles("#file-input", file);
        const item = page.locator("#uploads li[data-outcome]").first();
        await item.waitFor({ timeout: 30_000 });
        const images = await item
            .locator(".gallery img")
            .evaluateAll((all: any[]) =>
                all.map((image) => [image.dataset.variant, image.naturalWidth, image.naturalHeight]),
            );
        return { outcome: await item.getAttribute("data-outcome"), images };
    }

    it("with any size allowed, the sizes made at upload (storedVariants' plain keys), each once", async () => {
        expect(await upload("any.jpg")).to.deep.equal({
            outcome: "done",
            images: [
                ["original", 640, 480],
                ["160x120", 160, 120],
            ],
        });
        expect(await page.locator("#outcome").textContent()).to.equal(
            "any.jpg: uploaded; the original and 1 variants are ready.",
        );
    });

    it("a size the status names is shown, whatever the config lists", async () => {
        await page.route(/\/api\/uploads\/[0-9a-f-]{36}$/, async (route) => {
            const response = await route.fetch();
            const status = await response.json();
            if (status.status === "ready") status.variants = [`100x100/${status.key}`];
            await route.fulfill({ response, json: status });
        });
        expect((await upload("named.jpg")).images).to.deep.equal([
            ["original", 640, 480],
            ["100x100", 100, 100],
            ["160x120", 160, 120],
        ]);
    });
});
