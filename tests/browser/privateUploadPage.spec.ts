// The upload page (web/) on a private stack (privateDelivery): it asks the API for a signed URL per image
// (GET /api/uploads/<id>/url, web/gallery.js), since the CDN refuses every unsigned request as CloudFront does.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Browser, Page } from "playwright-core";
import { jpegBytes } from "../support/images";
import { startTestPipeline } from "../support/localPipeline";
import { launchChromium, skipWithoutChromium } from "../support/headlessChromium";

describe("the upload page on a private stack in headless Chromium (web/ with privateDelivery)", () => {
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    let browser: Browser;
    let page: Page;
    let dir: string;

    before(async function () {
        skipWithoutChromium(this);
        pipeline = await startTestPipeline({ "image-pipeline:privateDelivery": "true" });
        browser = await launchChromium();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-pipeline-browser-"));
        page = await browser.newPage();
        await page.goto(`${pipeline.url}/`);
        await page.waitForSelector("body[data-ready=true]");
    });
    after(async () => {
        await browser?.close();
        await pipeline?.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("shows the original and every variant, each fetched through a signed URL the API gave", async () => {
        const cdnRequests: string[] = [];
        page.on("request", (request) => {
            if (request.url().includes("/cdn/")) cdnRequests.push(request.url());
        });
        const file = path.join(dir, "private.jpg");
        fs.writeFileSync(file, await jpegBytes(1600, 1200));
        await page.check("input[name=method][value=put]");
        await page.setInputFiles("#file-input", file);
        const item = page.locator("#uploads li").first();
        await item.locator(".gallery img").first().waitFor({ timeout: 20_000 });
        await page.waitForFunction(
            () => {
                const images: any[] = Array.from((globalThis as any).document.querySelectorAll(".gallery img"));
                return images.length === 4 && images.every((image) => image.complete && image.naturalWidth > 0);
            },
            undefined,
            { timeout: 20_000 },
        );
        const shown = await item
            .locator(".gallery img")
            .evaluateAll((images: any[]) => images.map((image) => [image.dataset.variant, image.naturalWidth]));
        expect(shown).to.deep.equal([
            ["original", 1600],
            ["300x300", 300],
            ["640x480", 640],
            ["1280x720", 1280],
        ]);
        expect(cdnRequests).to.have.length.of.at.least(4);
        for (const url of cdnRequests) expect(url, url).to.match(/[?&]Signature=[^&]+&Key-Pair-Id=K/);
    });
});
