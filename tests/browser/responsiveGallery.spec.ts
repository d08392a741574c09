// The upload page's responsive image (web/gallery.js): <img srcset sizes> whose candidates are the width-only
// variant keys the upload's status names (client statusSrcSet), and Chromium loads the one its layout asks for.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { Response } from "playwright-core";
import sharp from "sharp";
import { jpegBytes } from "../support/images";
import { browserPipeline } from "../support/browserPipeline";

describe("the upload page's <img srcset sizes> from the status's width-only variants", function () {
    this.timeout(60_000);
    const setup = browserPipeline({ "image-pipeline:allowedResolutions": "300x300,320x0,640x0,1280x0" });

    it("lists 320w and 640w (1280x0 is wider than the 1000 px original: left out), then the original at 1000w; a 375 px phone loads 640x0", async () => {
        // 375 CSS px at one device pixel each: the slot is 100vw = 375 px, so 640w is the narrowest that fills it.
        const page = await setup.browser.newPage({ viewport: { width: 375, height: 800 }, deviceScaleFactor: 1 });
        try {
            const ready = page.waitForResponse(
                async (response) =>
                    /\/api\/uploads\/[0-9a-f-]{36}$/.test(response.url()) && (await response.json()).status === "ready",
            );
            const cdnResponses: Response[] = [];
            page.on("response", (response) => cdnResponses.push(response));
            await page.goto(`${setup.pipeline.url}/`);
            await page.waitForSelector("body[data-ready=true]");
            const file = path.join(setup.dir, "wide.jpg");
            fs.writeFileSync(file, await jpegBytes(1000, 750));
            await page.setInputFiles("#file-input", file);
            const status = await (await ready).json();
            expect(status.variants).to.include.members([`320x0/${status.key}`, `1280x0/${status.key}`]);
            const image = page.locator("#uploads li:first-child img.responsive");
            await page.waitForFunction(() => {
                const shown = (globalThis as any).document.querySelector("img.responsive");
                return shown?.complete && shown.naturalWidth > 0;
            });
            const cdn = `${setup.pipeline.url}/cdn`;
            expect(await image.getAttribute("srcset")).to.equal(
                `/cdn/320x0/${status.key} 320w, /cdn/640x0/${status.key} 640w, /cdn/${status.key} 1000w`,
            );
            expect(await image.getAttribute("sizes")).to.equal("(max-width: 40rem) 100vw, 40rem");
            // naturalWidth is in CSS px (the 640w candidate at 375 px is density 640/375): decode what was served.
            const currentSrc = await image.evaluate((shown: any) => shown.currentSrc);
            expect(currentSrc).to.equal(`${cdn}/640x0/${status.key}`);
            const served = cdnResponses.find((response) => response.url() === currentSrc)!;
            expect(served.status()).to.equal(200);
            const { width, height } = await sharp(await served.body()).metadata();
            expect([width, height]).to.deep.equal([640, 480]);
        } finally {
            await page.close();
        }
    });
});
