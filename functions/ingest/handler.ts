// The ingest Lambda's entry point (bundled beside the Resizer's, sharp shared); S3 invokes it per staged upload.
import { SNSClient } from "@aws-sdk/client-sns";
import { createS3Client } from "../shared/s3Client";
import { createIngestHandler } from "./ingest";
import { decodeIngestSettings } from "./settings";
import { snsPublisher } from "./uploadEvents";

// Built once per cold start. S3_ENDPOINT is unset on AWS; tests point the same code at a local S3.
const settings = decodeIngestSettings(process.env);
export const handler = createIngestHandler({
    s3: createS3Client({ endpoint: process.env.S3_ENDPOINT }),
    settings,
    publish: settings.uploadEventsTopicArn
        ? snsPublisher(new SNSClient({ region: process.env.AWS_REGION }), settings.uploadEventsTopicArn)
        : undefined,
});
