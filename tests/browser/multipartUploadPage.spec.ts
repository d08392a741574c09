// The upload page sends a file over the client library's multipart threshold (5 MiB) in parts from the browser:
// XMLHttpRequest PUTs each part and must read its ETag across origins (the bucket's CORS rule exposes it).
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { noiseJpeg } from "../support/images";
import { browserPipeline } from "../support/browserPipeline";

describe("the upload page uploads a file over 5 MiB in parts (client library, multipart routes)", function () {
    this.timeout(60_000);
    const setup = browserPipeline();

    it("creates, PUTs two parts, completes, and ends done with the original at its size", async () => {
        const page = await setup.browser.newPage();
        try {
            const requests: string[] = [];
            page.on("request", (request) => {
                const url = new URL(request.url());
                if (url.pathname.startsWith("/api/s3/") || request.method() === "PUT")
                    requests.push(`${request.method()} ${url.pathname.replace(/multipart\/[^/]+/, "multipart/<id>")}`);
            });
            await page.goto(`${setup.pipeline.url}/`);
            await page.waitForSelector("body[data-ready=true]");
            const bytes = await noiseJpeg(1700, 1700);
            expect(bytes.length).to.be.within(5 * 1024 * 1024 + 1, 10 * 1024 * 1024);
            const file = path.join(setup.dir, "large.jpg");
            fs.writeFileSync(file, bytes);
            await page.setInputFiles("#file-input", file);
            const item = page.locator("#uploads li[data-outcome]").first();
            await item.waitFor({ timeout: 45_000 });
            expect(
                await item.getAttribute("data-outcome"),
                (await item.locator(".status").textContent()) ?? "",
            ).to.equal("done");
            expect(requests.filter((request) => request.includes("/api/"))).to.deep.equal([
                "POST /api/s3/multipart",
                "GET /api/s3/multipart/<id>/1",
                "GET /api/s3/multipart/<id>/2",
                "POST /api/s3/multipart/<id>/complete",
            ]);
            expect(requests.filter((request) => request.startsWith("PUT"))).to.have.length(2);
            await item.locator("figcaption", { hasText: /^original: 1700×1700, JPEG/ }).waitFor();
        } finally {
            await page.close();
        }
    });
});
