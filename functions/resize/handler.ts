// The Resizer's Lambda entry point (bundled by infra/builders/resizerArchive.ts; sharp ships beside it).
import { createResizeHandler } from "./resize";
import { decodeResizeSettings } from "./settings";
import { createS3Client } from "../shared/s3Client";

// Built once per cold start. S3_ENDPOINT is unset on AWS; tests point the same code at a local S3.
export const handler = createResizeHandler({
    s3: createS3Client({ endpoint: process.env.S3_ENDPOINT }),
    settings: decodeResizeSettings(process.env),
});
