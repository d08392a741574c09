import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Browser, Page } from "playwright-core";
import { jpegBytes } from "../support/images";
import { startTestPipeline } from "../support/localPipeline";
import { launchChromium, skipWithoutChromium } from "../support/headlessChromium";

describe("the upload page in headless Chromium (web/)", () => {
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    let browser: Browser;
    let page: Page;
    let dir: string;

    before(async function () {
        skipWithoutChromium(this);
        pipeline = await startTestPipeline();
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

    async function uploadThroughPage(method: "put" | "post", fileName: string, bytes: Buffer) {
        const file = path.join(dir, fileName);
        fs.writeFileSync(file, bytes);
        await page.check(`input[name=method][value=${method}]`);
        await page.setInputFiles("#file-input", file);
        const item = page.locator("#uploads li").first();
        await item
            .locator(".status", { hasText: /Uploaded|error|refused|said no|Wrong|Too big/ })
            .waitFor({ timeout: 20_000 });
        return item;
    }

    async function loadedImages(item: ReturnType<Page["locator"]>) {
        await item.locator(".gallery img").first().waitFor();
        // These callbacks run in the page (the project's types are Node's, hence `any`).
        await page.waitForFunction(
            (count) => {
                const images: any[] = Array.from(
                    (globalThis as any).document.querySelectorAll("#uploads li:first-child .gallery img"),
                );
                return images.length === count && images.every((image) => image.complete && image.naturalWidth > 0);
            },
            4,
            { timeout: 20_000 },
        );
        return item
            .locator(".gallery img")
            .evaluateAll((images: any[]) =>
                images.map((image) => [image.dataset.variant, image.naturalWidth, image.naturalHeight]),
            );
    }

    for (const method of ["put", "post"] as const) {
        it(`uploads a generated image with a presigned ${method.toUpperCase()}, shows 100 % and every variant at its size`, async () => {
            const item = await uploadThroughPage(method, `photo-${method}.jpg`, await jpegBytes(1600, 1200));
            const status = await item.locator(".status").textContent();
            expect(status).to.include("100 %");
            expect(status).to.include(`(${method.toUpperCase()})`);
            expect(await item.locator("progress").evaluate((bar: any) => bar.value)).to.equal(100);
            expect(await loadedImages(item)).to.deep.equal([
                ["original", 1600, 1200],
                ["300x300", 300, 300],
                ["640x480", 640, 480],
                ["1280x720", 1280, 720],
            ]);
            await page.locator("#uploads li:first-child figcaption", { hasText: "1280x720: 1280×720" }).waitFor();
        });
    }

    it("shows the status's ThumbHash placeholder and real dimensions before any image arrives from the CDN", async () => {
        // Every CDN request is held until the placeholder has been checked: what is shown comes from the status.
        let release: () => void = () => undefined;
        const released = new Promise<void>((resolve) => {
            release = resolve;
        });
        const held: string[] = [];
        await page.route(`${pipeline.url}/cdn/**`, async (route) => {
            held.push(route.request().url());
            await released;
            await route.continue();
        });
        const status = page.waitForResponse(
            async (response) =>
                /\/api\/uploads\/[0-9a-f-]{36}$/.test(response.url()) &&
                response.ok() &&
                (await response.json()).status === "ready",
        );
        const item = await uploadThroughPage("put", "placeholder.jpg", await jpegBytes(1600, 1200));
        const ready = await (await status).json();
        const placeholder = item.locator(".checked img.placeholder");
        await placeholder.waitFor();
        await page.waitForFunction(() =>
            Array.from((globalThis as any).document.querySelectorAll("img.placeholder")).every(
                (image: any) => image.complete,
            ),
        );
        const shown = await placeholder.evaluate((image: any) => ({
            src: image.src.slice(0, 22),
            natural: [image.naturalWidth, image.naturalHeight],
        }));
        expect(shown.src).to.equal("data:image/png;base64,");
        // ThumbHash keeps the aspect ratio approximately (4:3 here), at most 32 pixels a side.
        expect(shown.natural[0] / shown.natural[1]).to.be.closeTo(4 / 3, 0.2);
        expect(Math.max(...shown.natural)).to.be.at.most(32);
        expect(await item.locator(".checked .dimensions").textContent()).to.equal(
            `Ready: 1600×1200 jpeg, ${(ready.bytes / 1024).toFixed(1)} KiB`,
        );
        expect(
            await item.locator(".gallery img").evaluateAll((images: any[]) => images.filter((i) => i.src).length),
            "no image from the CDN yet",
        ).to.equal(0);
        release();
        expect((await loadedImages(item)).map(([variant]) => variant)).to.deep.equal([
            "original",
            "300x300",
            "640x480",
            "1280x720",
        ]);
        // The gallery's four fetches, and the one request of the responsive <img srcset> (web/gallery.js).
        expect(held.length).to.equal(5);
    });

    it("shows each variant's format and bytes as Chromium's <img> gets them: a JPEG's variants in AVIF (up to AVIF_MAX_PIXELS, 1280x720)", async () => {
        const item = await uploadThroughPage("put", "format.jpg", await jpegBytes(1600, 1200));
        await loadedImages(item);
        const formats = await item
            .locator(".gallery img")
            .evaluateAll((images: any[]) => images.map((image) => [image.dataset.variant, image.dataset.format]));
        expect(formats).to.deep.equal([
            ["original", "JPEG"],
            ["300x300", "AVIF"],
            ["640x480", "AVIF"],
            ["1280x720", "AVIF"], // at AVIF_MAX_PIXELS (functions/shared/variantFormats.ts); larger is answered as WebP
        ]);
        await item.locator("figcaption", { hasText: /^300x300: 300×300, AVIF, [\d.]+ (B|KiB|MiB)$/ }).waitFor();
    });

    describe("shows the variant keys the upload's status names, never keys built from the config", () => {
        /** Uploads with the ready status edited as `edit` says; answers the gallery's [label, width, height]s. */
        async function galleryWithStatus(name: string, edit: (status: any) => void) {
            await page.route(/\/api\/uploads\/[0-9a-f-]{36}$/, async (route) => {
                const response = await route.fetch();
                const status = await response.json();
                if (status.status === "ready") edit(status);
                await route.fulfill({ response, json: status });
            });
            const item = await uploadThroughPage("put", name, await jpegBytes(640, 480));
            await page.locator("#uploads li:first-child[data-outcome=done]").waitFor({ timeout: 20_000 });
            return item
                .locator(".gallery img")
                .evaluateAll((images: any[]) =>
                    images.map((image) => [image.dataset.variant, image.naturalWidth, image.naturalHeight]),
                );
        }

        it("the sizes `variants` names, not the config's three", async () => {
            const shown = await galleryWithStatus("named.jpg", (status) => {
                status.variants = [`640x480/${status.key}`];
            });
            expect(shown).to.deep.equal([
                ["original", 640, 480],
                ["640x480", 640, 480],
            ]);
        });

        it("with no `variants` (any size allowed), the plain keys of `storedVariants`, each once", async () => {
            const shown = await galleryWithStatus("stored.jpg", (status) => {
                status.variants = [];
                status.storedVariants = [`300x300/${status.key}`, `300x300/avif/${status.key}`];
            });
            expect(shown).to.deep.equal([
                ["original", 640, 480],
                ["300x300", 300, 300],
            ]);
            expect(await page.locator("#outcome").textContent()).to.equal(
                "stored.jpg: uploaded; the original and 1 variants are ready.",
            );
        });
    });

    it("declares the file's size when signing a PUT, so the URL it uploads with has content-length signed", async () => {
        const bytes = await jpegBytes(320, 240);
        const signRequest = page.waitForRequest(
            (request) => request.method() === "POST" && new URL(request.url()).pathname.endsWith("/uploads"),
        );
        const putRequest = page.waitForRequest((request) => request.method() === "PUT");
        const item = await uploadThroughPage("put", "sized.jpg", bytes);
        expect((await signRequest).postDataJSON()).to.deep.equal({ contentType: "image/jpeg", size: bytes.length });
        expect(new URL((await putRequest).url()).searchParams.get("X-Amz-SignedHeaders")).to.equal(
            "content-length;content-type;host;if-none-match",
        );
        expect(await item.locator(".status").textContent()).to.include("100 %");
    });

    /** Presses Tab (nothing else) until the file picker has focus; fails if it never does. */
    async function tabToPicker(): Promise<void> {
        for (let presses = 0; presses < 10; presses++) {
            await page.keyboard.press("Tab");
            if ((await page.evaluate(() => (globalThis as any).document.activeElement?.id)) === "choose-files") return;
        }
        throw new Error("Tab never reached the file picker");
    }

    /** The focused element's focus ring as computed: outline (or box-shadow) and its contrast against the page. */
    async function focusRing() {
        return page.evaluate(() => {
            const doc = (globalThis as any).document;
            const focused = doc.activeElement;
            const style = (globalThis as any).getComputedStyle(focused);
            const rgb = (color: string) => (color.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
            const luminance = (color: string) => {
                const [r, g, b] = rgb(color).map((v) => {
                    const c = v / 255;
                    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
                });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            };
            const background = (globalThis as any).getComputedStyle(doc.body).backgroundColor;
            const page = background === "rgba(0, 0, 0, 0)" ? "rgb(255, 255, 255)" : background;
            const [light, dark] = [luminance(style.outlineColor), luminance(page)].sort((a, b) => b - a);
            return {
                tag: focused.tagName,
                focusVisible: focused.matches(":focus-visible"),
                outline: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
                boxShadow: style.boxShadow,
                contrast: (light + 0.05) / (dark + 0.05),
            };
        });
    }

    /** Keyboard only: Tab to the picker, open it with `key`, choose the file in the chooser; the file's list item. */
    async function uploadByKeyboard(key: "Enter" | " ", fileName: string, bytes: Buffer) {
        const file = path.join(dir, fileName);
        fs.writeFileSync(file, bytes);
        // Listen first: Playwright turns on Chromium's chooser interception asynchronously when the listener is
        // added (microsoft/playwright#28023); Tabbing meanwhile gives it time, so Enter never opens a real dialog.
        const chooserOpened = page.waitForEvent("filechooser");
        await tabToPicker();
        const [chooser] = await Promise.all([chooserOpened, page.keyboard.press(key === " " ? "Space" : key)]);
        expect(chooser.isMultiple()).to.equal(true);
        await chooser.setFiles(file);
        const item = page.locator("#uploads li").first();
        await page.locator("#uploads li[data-outcome]").first().waitFor({ timeout: 30_000 });
        return item;
    }

    describe("keyboard only, with the outcome of each file", () => {
        it("reaches the file picker with Tab, where a visible focus ring (≥ 3:1 contrast, WCAG 2.2 focus appearance) shows it", async () => {
            await tabToPicker();
            const ring = await focusRing();
            expect(ring.tag).to.equal("BUTTON");
            expect(ring.focusVisible).to.equal(true);
            expect(
                ring.outline >= 2 || ring.boxShadow !== "none",
                `outline ${ring.outline}px, box-shadow ${ring.boxShadow}`,
            ).to.equal(true);
            expect(ring.contrast).to.be.at.least(3);
        });

        it("opens the picker with Enter, uploads a real image and says it is done, with every variant at its size", async () => {
            const item = await uploadByKeyboard("Enter", "keyboard-photo.jpg", await jpegBytes(1600, 1200));
            expect(await item.getAttribute("data-outcome")).to.equal("done");
            expect(await item.locator(".status").textContent()).to.include("100 %");
            expect(await loadedImages(item)).to.deep.equal([
                ["original", 1600, 1200],
                ["300x300", 300, 300],
                ["640x480", 640, 480],
                ["1280x720", 1280, 720],
            ]);
            expect(await page.locator("#outcome[role=status]").textContent()).to.equal(
                "keyboard-photo.jpg: uploaded; the original and 3 variants are ready.",
            );
        });

        it("opens the picker with Space and shows a text file named .jpg as rejected by the upload check, with its reason", async () => {
            const rejected = page.waitForResponse(
                async (response) =>
                    /\/api\/uploads\/[0-9a-f-]{36}$/.test(response.url()) &&
                    response.ok() &&
                    (await response.json()).status === "rejected",
            );
            const item = await uploadByKeyboard(" ", "not-a-photo.jpg", Buffer.from("just some text, not a JPEG\n"));
            const { error } = await (await rejected).json();
            expect(error.code).to.equal("not_an_allowed_image");
            expect(await item.getAttribute("data-outcome")).to.equal("failed");
            const status = item.locator(".status");
            expect(await status.getAttribute("class")).to.include("error");
            expect(await status.textContent()).to.equal(`Rejected: ${error.message}`);
            expect(await item.locator(".gallery").count(), "no variant is requested").to.equal(0);
            expect(await page.locator("#outcome[role=status]").textContent()).to.equal(
                `not-a-photo.jpg: failed. ${await status.textContent()}`,
            );
        });

        it("shows storage's refusal of an upload with S3's Code and Message", async () => {
            // The presigned URL's signature spoiled on its way out: the local S3 gate refuses it as S3 does.
            let xml = "";
            await page.route(
                (url) => url.port !== new URL(pipeline.url).port,
                async (route) => {
                    if (route.request().method() !== "PUT") return route.continue();
                    const response = await route.fetch({
                        url: route
                            .request()
                            .url()
                            .replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${"0".repeat(64)}`),
                    });
                    xml = await response.text();
                    await route.fulfill({ response });
                },
            );
            const item = await uploadByKeyboard("Enter", "spoiled.jpg", await jpegBytes(64, 48));
            const [code, message] = [/<Code>([^<]+)/.exec(xml)![1], /<Message>([^<]+)/.exec(xml)![1]];
            expect(code).to.equal("SignatureDoesNotMatch");
            expect(await item.getAttribute("data-outcome")).to.equal("failed");
            expect(await item.locator(".status").textContent()).to.equal(
                `Storage refused the upload: ${code}: ${message}`,
            );
        });

        it("shows the API's JSON reason when it refuses to sign", async () => {
            await page.route(`${pipeline.url}/api/uploads`, (route) =>
                route.continue({ postData: JSON.stringify({ contentType: "text/html" }) }),
            );
            const refusal = page.waitForResponse((response) => response.url().endsWith("/api/uploads"));
            const item = await uploadByKeyboard("Enter", "refused.jpg", await jpegBytes(64, 48));
            const answer = await refusal;
            expect(answer.status()).to.equal(400);
            const { error } = await answer.json();
            expect(await item.getAttribute("data-outcome")).to.equal("failed");
            expect(await item.locator(".status").textContent()).to.equal(
                `The server said no: ${error.message} (${error.code})`,
            );
        });
    });

    it("says in plain words why a file is refused before uploading it", async () => {
        const item = await uploadThroughPage("put", "notes.txt", Buffer.from("not an image"));
        expect(await item.locator(".status").textContent()).to.match(
            /^Wrong type: text\/plain is not one of jpeg, png/,
        );
        expect(await item.locator(".gallery").count()).to.equal(0);
    });
});
