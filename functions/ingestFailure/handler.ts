// The ingest failure consumer's entry: an inline callback factory that infra/builders/closureArchive.ts serializes and
// bundles, as for cleanup (no sharp needed). It runs once per cold start, on its SQS queue's event source mapping.
import { SNSClient } from "@aws-sdk/client-sns";
import { createS3Client } from "../shared/s3Client";
import { snsPublisher } from "../ingest/uploadEvents";
import { createIngestFailureHandler } from "./ingestFailure";
import { decodeIngestFailureSettings } from "./settings";

export const ingestFailureHandlerFactory = () => {
    const settings = decodeIngestFailureSettings(process.env);
    return createIngestFailureHandler({
        // S3_ENDPOINT is unset on AWS; tests point the same closure at a local S3.
        s3: createS3Client({ endpoint: process.env.S3_ENDPOINT }),
        settings,
        publish: settings.uploadEventsTopicArn
            ? snsPublisher(new SNSClient({ region: process.env.AWS_REGION }), settings.uploadEventsTopicArn)
            : undefined,
    });
};
