import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { WatchedFunction } from "../observability/watchedPipeline";
import type { LogLevel } from "../../functions/shared/structuredLog";
import { encodeIngestSettings, IngestSettings } from "../../functions/ingest/settings";
import {
    ORIGINAL_KEYS_PATTERN,
    STAGING_KEYS_PATTERN,
    sizeKeysPattern,
    formatSizeKeysPattern,
    STATUS_KEYS_PATTERN,
} from "../../functions/shared/bucketLayout";
import type { VariantFormat } from "../../functions/shared/variantFormats";
import { lambdaExecution } from "../builders/lambdaRole";
import { pipelineFunction } from "../builders/pipelineFunction";
import type { LambdaArchitecture } from "../builders/resizerArchive";
import { allowBucketToInvoke } from "../storage/bucketEvents";
import { INGEST_INVOCATION } from "../../functions/ingest/retryPolicy";
import { asyncInvokeConfig } from "../reliability/failureQueue";
import { publishStatements } from "./uploadEvents";
import { bucketKeyStatements } from "../storage/bucketKeyGrant";

export interface IngestArgs {
    /** The application log level (config logLevel): Lambda filters the function's lines at it. */
    logLevel: LogLevel;
    bucketArn: pulumi.Input<string>;
    /** What the function reads from its environment (functions/ingest/settings.ts encodes it). */
    settings: pulumi.Input<IngestSettings>;
    /** The Resizer's archive (ingest.js beside index.js) and the architecture its sharp was installed for. */
    code: pulumi.Input<pulumi.asset.AssetArchive>;
    architecture: LambdaArchitecture;
    memoryMb: number;
    /** The bucket's SSE-KMS key: reading a staged upload decrypts, writing the original and status encrypts. */
    kmsKeyArn?: pulumi.Input<string>;
    /** The sizes made at ingest (config eagerResolutions), in the original's format and these formats: the role
     *  may write those variants and no others. */
    eagerResolutions: string[];
    eagerFormats: VariantFormat[];
    /** The upload events topic (infra/upload/uploadEvents.ts) and its key: the role may publish there, nowhere else. */
    uploadEvents: { topicArn: pulumi.Input<string>; keyArn: pulumi.Input<string> };
    /** Where Lambda sends the record of an event every attempt failed (infra/reliability/ingestFailures.ts). */
    failureQueueArn: pulumi.Input<string>;
}

/**
 * The ingest Lambda, which the bucket notification (infra/storage/bucketEvents.ts) runs for every object created under
 * incoming/: each upload is checked, cleaned and announced (status/<id>.json) before it reaches uploads/, where
 * the CDN reads. Its invoke config (functions/ingest/retryPolicy.ts) bounds the retries and the event age and sends
 * what still fails to the failure queue, whose consumer ends the upload as failed.
 */
export class Ingest extends pulumi.ComponentResource {
    public readonly functionName: pulumi.Output<string>;
    public readonly functionArn: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    /** What the alarms and the dashboard watch (infra/observability/). */
    public readonly watched: WatchedFunction;
    /** S3 may invoke the function: the bucket notification must be put after it (S3 checks it then). */
    public readonly invokePermission: aws.lambda.Permission;

    constructor(name: string, args: IngestArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:upload:Ingest", name, {}, opts);

        const staged = pulumi.interpolate`${args.bucketArn}/${STAGING_KEYS_PATTERN}`;
        const { role, logGroup, policy } = lambdaExecution(
            `${name}-handler`,
            [
                {
                    sid: "ReadAndDeleteStaged",
                    effect: "Allow",
                    actions: ["s3:GetObject", "s3:DeleteObject"],
                    resources: [staged],
                },
                {
                    sid: "WriteOriginalsAndStatus",
                    effect: "Allow",
                    actions: ["s3:PutObject"],
                    resources: [
                        pulumi.interpolate`${args.bucketArn}/${ORIGINAL_KEYS_PATTERN}`,
                        pulumi.interpolate`${args.bucketArn}/${STATUS_KEYS_PATTERN}`,
                    ],
                },
                {
                    // A conditional write of pending that finds a status (412) reads whether it is final
                    // (functions/ingest/retryPolicy.ts, rule 1).
                    sid: "ReadStatus",
                    effect: "Allow",
                    actions: ["s3:GetObject"],
                    resources: [pulumi.interpolate`${args.bucketArn}/${STATUS_KEYS_PATTERN}`],
                },
                {
                    // Lambda sends the on-failure record with the function's role
                    // (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
                    sid: "SendFailureRecords",
                    effect: "Allow",
                    actions: ["sqs:SendMessage"],
                    resources: [args.failureQueueArn],
                },
                ...(args.eagerResolutions.length > 0
                    ? [
                          {
                              sid: "WriteEagerVariants",
                              effect: "Allow",
                              actions: ["s3:PutObject"],
                              resources: args.eagerResolutions.flatMap((size) =>
                                  [
                                      sizeKeysPattern(size),
                                      ...args.eagerFormats.map((format) => formatSizeKeysPattern(size, format)),
                                  ].map((pattern) => pulumi.interpolate`${args.bucketArn}/${pattern}`),
                              ),
                          },
                      ]
                    : []),
                ...publishStatements(args.uploadEvents),
                {
                    // With s3:ListBucket a staged object already ingested (S3 delivers events at least once) reads
                    // 404 NoSuchKey, not 403 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html,
                    // "Permissions"); only the staging prefix may be listed.
                    sid: "ListStagingPrefix",
                    effect: "Allow",
                    actions: ["s3:ListBucket"],
                    resources: [args.bucketArn],
                    conditions: [{ test: "StringLike", variable: "s3:prefix", values: [STAGING_KEYS_PATTERN] }],
                },
                ...bucketKeyStatements(args.kmsKeyArn),
            ],
            this,
        );

        const { handler, watched } = pipelineFunction(
            `${name}-handler`,
            { role, logGroup },
            {
                label: "ingest",
                description: "Checks and cleans each upload before it is served (image-pipeline)",
                architecture: args.architecture,
                memoryMb: args.memoryMb,
                timeoutSeconds: INGEST_INVOCATION.timeoutSeconds,
                handler: "ingest.handler",
                code: args.code,
                variables: pulumi.output(args.settings).apply(encodeIngestSettings),
                logLevel: args.logLevel,
            },
            this,
        );

        asyncInvokeConfig(
            `${name}-invoke-config`,
            { functionName: handler.name, policy: INGEST_INVOCATION, failureQueueArn: args.failureQueueArn },
            this,
            [policy],
        );

        this.invokePermission = allowBucketToInvoke(
            `${name}-from-bucket`,
            { functionName: handler.name, roleArn: role.arn },
            args.bucketArn,
            this,
        );
        this.functionName = handler.name;
        this.functionArn = handler.arn;
        this.roleArn = role.arn;
        this.watched = watched;
        this.registerOutputs({ functionName: this.functionName });
    }
}
