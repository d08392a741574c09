// The upload page (web/app.js) in headless Chromium when an upload cannot be processed: local mode retries ingest
// as Lambda would, the failure consumer writes `failed`, and the page ends the file as failed with the server's
// reason and code (never "Checking the upload…" for ever).
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { LOCAL_BUCKET } from "../../local/server";
import { jpegBytes } from "../support/images";
import { browserPipeline } from "../support/browserPipeline";

describe("the upload page shows an upload that failed processing as failed, with the reason", function () {
    this.timeout(60_000);
    const setup = browserPipeline();

    it("an original the local S3 cannot store: the file ends failed, saying why (processing_failed)", async () => {
        // A regular file where the bucket's uploads/ folder would be: every write under uploads/ fails (ENOTDIR).
        fs.mkdirSync(path.join(setup.pipeline.dataDir, LOCAL_BUCKET), { recursive: true });
        fs.writeFileSync(path.join(setup.pipeline.dataDir, LOCAL_BUCKET, "uploads"), "not a folder");
        const page = await setup.browser.newPage();
        try {
            await page.goto(`${setup.pipeline.url}/`);
            await page.waitForSelector("body[data-ready=true]");
            const file = path.join(setup.dir, "photo.jpg");
            fs.writeFileSync(file, await jpegBytes(120, 90));
            await page.setInputFiles("#file-input", file);
            const item = page.locator("#uploads li[data-outcome]").first();
            await item.waitFor({ timeout: 30_000 });
            expect(await item.getAttribute("data-outcome")).to.equal("failed");
            const status = (await item.locator(".status").textContent()) ?? "";
            expect(status).to.match(/^Failed: The upload could not be processed \(3 attempts\); upload it again/);
            expect(status).to.contain("(processing_failed)");
            expect(await page.locator("#outcome").textContent()).to.contain("photo.jpg: failed.");
        } finally {
            await page.close();
        }
    });
});
