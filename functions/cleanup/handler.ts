// The cleanup Lambda's entry: an inline callback factory that infra/builders/closureArchive.ts serializes and bundles, as
// for presign (no sharp needed, so no share of the Resizer's archive). It runs once per cold start.
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { createS3Client } from "../shared/s3Client";
import { createCleanupHandler } from "./cleanup";
import { decodeCleanupSettings } from "./settings";

export const cleanupHandlerFactory = () =>
    createCleanupHandler({
        // S3_ENDPOINT is unset on AWS; tests point the same closure at a local S3.
        s3: createS3Client({ endpoint: process.env.S3_ENDPOINT }),
        // CloudFront is a global service; its API is signed for us-east-1.
        cloudfront: new CloudFrontClient({ region: "us-east-1" }),
        settings: decodeCleanupSettings(process.env),
    });
