// The presign Lambda's entry: an inline callback factory that infra/closureArchive.ts serializes (with what it
// references) and bundles. It runs once per cold start and builds the handler from the function's environment,
// so no live client is captured at deploy time.
import { createPresignHandler } from "./presign";
import { decodePresignSettings } from "./settings";
import { createS3Client } from "../shared/s3Client";

export const presignHandlerFactory = () =>
    createPresignHandler({
        // S3_ENDPOINT is unset on AWS; tests and the benchmark point the same closure at a local S3.
        s3: createS3Client({ endpoint: process.env.S3_ENDPOINT }),
        settings: decodePresignSettings(process.env),
    });
