// examples/nextjs (next/image with the client library's loader, images.loaderFile) against local mode's CDN, in
// headless Chromium: the example renders, every image request is an allowed width-only size answered 200 with an
// image of that width, and each srcset descriptor is the width its URL names. The first run installs the example
// (npm ci, ~20 s); then next build (~15 s) and the page loads.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Browser, Response } from "playwright-core";
import sharp from "sharp";
import { upload } from "../../client/src/index";
import { jpegBytes } from "../support/images";
import { startTestPipeline } from "../support/localPipeline";
import { launchChromium, skipWithoutChromium } from "../support/headlessChromium";
import { buildExample, installExample, packClient, startExample } from "../support/nextjsExample";

/** Next.js's default device sizes (its images.deviceSizes), each allowed as "<W>x0". */
const WIDTHS = [640, 750, 828, 1080, 1200, 1920, 2048, 3840];

describe("examples/nextjs: next/image through the client library's loader, on local mode's CDN", function () {
    this.timeout(240_000);
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    let example: Awaited<ReturnType<typeof startExample>>;
    let browser: Browser;
    let packDir: string;
    let packed: ReturnType<typeof packClient>;
    let key: string;

    before(async function () {
        skipWithoutChromium(this);
        packDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-pipeline-pack-"));
        packed = packClient(packDir);
        installExample();
        pipeline = await startTestPipeline({
            "image-pipeline:allowedResolutions": WIDTHS.map((width) => `${width}x0`).join(","),
            "image-pipeline:eagerResolutions": "",
            "image-pipeline:maxResizeDimension": "3840",
        });
        // As wide as the widest size: no variant is narrower than its name for want of pixels (never upscaled).
        const status = await upload(new Blob([await jpegBytes(3840, 2880)], { type: "image/jpeg" }), {
            apiUrl: `${pipeline.url}/api`,
        });
        expect(status.status).to.equal("ready");
        key = status.key;
        buildExample(`${pipeline.url}/cdn`, WIDTHS);
        example = await startExample();
        browser = await launchChromium();
    });
    after(async () => {
        await browser?.close();
        await example?.stop();
        await pipeline?.close();
        if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
    });

    it("npm pack of client/ ships the built ES module, its types and package.json", () => {
        expect(packed.files).to.include.members(["dist/index.js", "dist/index.d.ts", "package.json"]);
        expect(fs.statSync(packed.filename).size).to.be.greaterThan(0);
    });

    // A phone, a laptop and a retina laptop: between them the two images ask for five of the widths.
    const screens = [
        { width: 375, height: 812, deviceScaleFactor: 2 },
        { width: 1280, height: 800, deviceScaleFactor: 1 },
        { width: 1280, height: 800, deviceScaleFactor: 2 },
    ];
    for (const screen of screens)
        it(`renders at ${screen.width} px × ${screen.deviceScaleFactor}: every image request an allowed <W>x0 answered with a W-wide image, every descriptor its URL's width`, async () => {
            const context = await browser.newContext({ viewport: screen, deviceScaleFactor: screen.deviceScaleFactor });
            const page = await context.newPage();
            try {
                const images: Response[] = [];
                page.on("response", (response) => {
                    if (response.request().resourceType() === "image") images.push(response);
                });
                await page.goto(`${example.url}/?${new URLSearchParams({ key })}`);
                await page.waitForFunction(() =>
                    Array.from((globalThis as any).document.images).every(
                        (image: any) => image.complete && image.naturalWidth > 0,
                    ),
                );
                const shown = await page
                    .locator("img")
                    .evaluateAll((all: any[]) =>
                        all.map((image) => ({ id: image.id, srcset: image.srcset, currentSrc: image.currentSrc })),
                    );
                expect(shown.map((image) => image.id)).to.deep.equal(["full", "half"]);

                const cdn = `${pipeline.url}/cdn`;
                const widthOf = (url: string) => {
                    const match = new RegExp(`^${cdn}/(\\d+)x0/${key}$`).exec(url);
                    expect(match, `${url} is a width-only variant of ${key}`).to.not.equal(null);
                    return Number(match![1]);
                };
                for (const image of shown) {
                    const candidates = image.srcset.split(", ").map((candidate: string) => candidate.split(" "));
                    for (const [url, descriptor] of candidates) expect(descriptor).to.equal(`${widthOf(url)}w`);
                    expect(candidates.map(([url]: string[]) => url)).to.include(image.currentSrc);
                }

                expect(images.length, "one request per image at least").to.be.at.least(1);
                for (const response of images) {
                    const width = widthOf(response.url());
                    expect(WIDTHS).to.include(width);
                    expect(response.status(), response.url()).to.equal(200);
                    expect((await sharp(await response.body()).metadata()).width, response.url()).to.equal(width);
                }
                const requested = new Set(images.map((response) => response.url()));
                for (const image of shown) expect(requested.has(image.currentSrc), image.currentSrc).to.equal(true);
            } finally {
                await context.close();
            }
        });
});
