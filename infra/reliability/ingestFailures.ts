import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { WatchedFunction } from "../observability/watchedPipeline";
import type { LogLevel } from "../../functions/shared/structuredLog";
import { STATUS_KEYS_PATTERN } from "../../functions/shared/bucketLayout";
import { ingestFailureHandlerFactory } from "../../functions/ingestFailure/handler";
import { encodeIngestFailureSettings, IngestFailureSettings } from "../../functions/ingestFailure/settings";
import { CLOSURE_HANDLER, closureArchive } from "../builders/closureArchive";
import { FailureQueue } from "./failureQueue";
import { lambdaExecution } from "../builders/lambdaRole";
import { pipelineFunction } from "../builders/pipelineFunction";
import { publishStatements } from "../upload/uploadEvents";
import { bucketKeyStatements } from "../storage/bucketKeyGrant";

/** The consumer writes one status and publishes one event per record: seconds, not minutes. */
export const INGEST_FAILURE_TIMEOUT_SECONDS = 30;
/** Six times the consumer's timeout, as AWS advises for an SQS event source
 *  (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). */
const VISIBILITY_TIMEOUT_SECONDS = 6 * INGEST_FAILURE_TIMEOUT_SECONDS;
/** Receives before a record moves to the dead-letter queue (AWS advises at least 5 with Lambda as consumer). */
export const INGEST_FAILURE_MAX_RECEIVES = 5;

export interface IngestFailuresArgs {
    /** The application log level (config logLevel): Lambda filters the function's lines at it. */
    logLevel: LogLevel;
    bucketArn: pulumi.Input<string>;
    settings: pulumi.Input<IngestFailureSettings>;
    /** The bucket's SSE-KMS key: reading and writing statuses decrypts and encrypts. */
    kmsKeyArn?: pulumi.Input<string>;
    /** The upload events topic and its key: the consumer publishes `failed` there. */
    uploadEvents: { topicArn: pulumi.Input<string>; keyArn: pulumi.Input<string> };
}

const CONSUMER_MEMORY_MB = 256;
const CONSUMER_ARCHITECTURE = "arm64";

/**
 * Where ingest's failures end: the queue its invoke config sends every record of an event that failed all its
 * attempts to (or waited too long), and the consumer (functions/ingestFailure/, a serialized closure bundled like
 * cleanup's) that an SQS event source mapping runs on it: it writes the status `failed` (unless final) and
 * publishes it. It reports partial batch failures; a record it cannot handle in five receives moves to the
 * dead-letter queue (14 days), so nothing loops and nothing is lost.
 */
export class IngestFailures extends pulumi.ComponentResource {
    public readonly queueArn: pulumi.Output<string>;
    public readonly queueUrl: pulumi.Output<string>;
    public readonly deadLetterQueueUrl: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    /** The failure queue and its dead-letter queue, by name (the alarms and the dashboard watch their depth). */
    public readonly queueName: pulumi.Output<string>;
    public readonly deadLetterQueueName: pulumi.Output<string>;
    /** What the alarms and the dashboard watch (infra/observability/). */
    public readonly watched: WatchedFunction;

    constructor(name: string, args: IngestFailuresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:reliability:IngestFailures", name, {}, opts);

        const queue = new FailureQueue(
            name,
            { visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS, maxReceiveCount: INGEST_FAILURE_MAX_RECEIVES },
            { parent: this },
        );
        const status = pulumi.interpolate`${args.bucketArn}/${STATUS_KEYS_PATTERN}`;
        const { role, logGroup, policy } = lambdaExecution(
            `${name}-handler`,
            [
                {
                    // Whether the status is final, and `failed` where it is not.
                    sid: "ReadAndWriteStatus",
                    effect: "Allow",
                    actions: ["s3:GetObject", "s3:PutObject"],
                    resources: [status],
                },
                {
                    // With s3:ListBucket a missing status reads 404 NoSuchKey, not 403
                    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions").
                    sid: "ListStatusPrefix",
                    effect: "Allow",
                    actions: ["s3:ListBucket"],
                    resources: [args.bucketArn],
                    conditions: [{ test: "StringLike", variable: "s3:prefix", values: [STATUS_KEYS_PATTERN] }],
                },
                {
                    // What the SQS event source mapping calls with the function's role
                    // (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
                    sid: "ConsumeFailureQueue",
                    effect: "Allow",
                    actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                    resources: [queue.queueArn],
                },
                ...publishStatements(args.uploadEvents),
                ...bucketKeyStatements(args.kmsKeyArn),
            ],
            this,
        );

        const { handler, watched } = pipelineFunction(
            `${name}-handler`,
            { role, logGroup },
            {
                label: "ingest-failures",
                description:
                    "Ends an upload whose ingest failed every attempt as failed, and announces it (image-pipeline)",
                architecture: CONSUMER_ARCHITECTURE,
                memoryMb: CONSUMER_MEMORY_MB,
                timeoutSeconds: INGEST_FAILURE_TIMEOUT_SECONDS,
                handler: CLOSURE_HANDLER,
                code: closureArchive(ingestFailureHandlerFactory),
                variables: pulumi.output(args.settings).apply(encodeIngestFailureSettings),
                logLevel: args.logLevel,
            },
            this,
        );

        new aws.lambda.EventSourceMapping(
            `${name}-from-queue`,
            {
                eventSourceArn: queue.queueArn,
                functionName: handler.name,
                batchSize: 10,
                // Only the records it could not handle are received again (functions/ingestFailure/ingestFailure.ts).
                functionResponseTypes: ["ReportBatchItemFailures"],
            },
            // Lambda checks the role's SQS permissions when the mapping is made.
            { parent: this, dependsOn: [policy] },
        );

        this.queueArn = queue.queueArn;
        this.queueUrl = queue.queueUrl;
        this.deadLetterQueueUrl = queue.deadLetterQueueUrl!;
        this.roleArn = role.arn;
        this.queueName = queue.queueName;
        this.deadLetterQueueName = queue.deadLetterQueueName!;
        this.watched = watched;
        this.registerOutputs({ queueUrl: this.queueUrl });
    }
}
