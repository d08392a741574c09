// What a browser spec of the pages starts once per suite: local mode on free ports (with config overrides), headless
// Chromium and a folder for the files it uploads; all of it closed and removed after the suite.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Browser } from "playwright-core";
import { launchChromium, skipWithoutChromium } from "./headlessChromium";
import { startTestPipeline } from "./localPipeline";

export interface BrowserPipeline {
    pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    browser: Browser;
    /** A throw-away folder for the files the spec uploads. */
    dir: string;
}

/** Registers the suite's before/after hooks (call it inside describe); the fields are set once `before` ran. */
export function browserPipeline(overrides: Record<string, string> = {}): BrowserPipeline {
    const setup = {} as BrowserPipeline;
    before(async function () {
        skipWithoutChromium(this);
        setup.pipeline = await startTestPipeline(overrides);
        setup.browser = await launchChromium();
        setup.dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-pipeline-browser-"));
    });
    after(async () => {
        await setup.browser?.close();
        await setup.pipeline?.close();
        if (setup.dir) fs.rmSync(setup.dir, { recursive: true, force: true });
    });
    return setup;
}
