// The Resizer's settings as the handler specs run it against the loopback S3 (tests/support/localS3.ts).
import type { ResizeSettings } from "../../functions/resize/settings";
import { TEST_BUCKET } from "./localS3";

export function testResizeSettings(overrides: Partial<ResizeSettings> = {}): ResizeSettings {
    return {
        bucket: TEST_BUCKET,
        uploadPrefix: "uploads/",
        allowedResolutions: ["300x300", "640x480", "1280x720"],
        maxDimension: 2048,
        fit: "cover",
        gravity: "centre",
        quality: 80,
        limitInputPixels: 50_000_000,
        metricsNamespace: "image-pipeline/test",
        cdnUrl: "https://cdn.example.com",
        ...overrides,
    };
}
