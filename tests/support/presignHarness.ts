// The presign handler against the loopback S3 and its gate, as the presign specs drive it: one S3 for the suite
// that calls usePresignHarness(), a handler per test with the settings it overrides, and the handler's log lines.
// The bindings below are live (CommonJS exports read at each use): set by the suite's hooks.
import { createPresignHandler } from "../../functions/presign/presign";
import { PresignSettings } from "../../functions/presign/settings";
import { HttpResult } from "../../functions/shared/http";
import { pngBytes } from "./images";
import { startTestS3, TEST_BUCKET, TestS3 } from "./localS3";

export const CDN = "https://d111.cloudfront.net";
export const UUID_V4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

export let s3: TestS3;
export let png: Buffer;
export let logs: string[];

/** Starts the loopback S3 before the calling suite and stops it after; every test starts with no log line. */
export function usePresignHarness(): void {
    before(async () => {
        s3 = await startTestS3();
        png = await pngBytes();
    });
    after(() => s3.close());
    beforeEach(() => {
        logs = [];
    });
}

export const settings = (overrides: Partial<PresignSettings> = {}): PresignSettings => ({
    bucket: TEST_BUCKET,
    allowedContentTypes: ["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"],
    maxUploadBytes: 10 * 1024 * 1024,
    expiresIn: 300,
    cdnUrl: CDN,
    requireAuth: false,
    ...overrides,
});
export const handler = (overrides: Partial<PresignSettings> = {}, now?: () => number) =>
    createPresignHandler({ s3: s3.s3, settings: settings(overrides), now, log: (line) => logs.push(line) });
export const json = (result: HttpResult) => JSON.parse(result.body);
