// Debian's Chromium, headless, for the browser specs: launched as the machine's probe runs it (no sandbox as root,
// no background traffic to hosts we cannot reach).
import * as fs from "fs";
import { Browser, chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
];

/** Skips the calling suite where Chromium is missing, except on CI (.ci/run installs it), where that is an error. */
export function skipWithoutChromium(suite: Mocha.Context): void {
    if (fs.existsSync(CHROMIUM)) return;
    if (process.env.CI) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    suite.skip();
}

export function launchChromium(): Promise<Browser> {
    return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}
