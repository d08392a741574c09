import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { WatchedFunction } from "../observability/watchedPipeline";
import type { LogLevel } from "../../functions/shared/structuredLog";
import { cleanupHandlerFactory } from "../../functions/cleanup/handler";
import { CleanupSettings, encodeCleanupSettings } from "../../functions/cleanup/settings";
import {
    ORIGINAL_KEYS_PATTERN,
    STAGING_KEYS_PATTERN,
    STATUS_KEYS_PATTERN,
    VARIANT_KEYS_PATTERN,
} from "../../functions/shared/bucketLayout";
import { CLOSURE_HANDLER, closureArchive } from "../builders/closureArchive";
import { lambdaExecution } from "../builders/lambdaRole";
import { pipelineFunction } from "../builders/pipelineFunction";
import { allowBucketToInvoke } from "../storage/bucketEvents";
import { CLEANUP_INVOCATION } from "../../functions/cleanup/retryPolicy";
import { asyncInvokeConfig } from "../reliability/failureQueue";

export interface CleanupArgs {
    /** The application log level (config logLevel): Lambda filters the function's lines at it. */
    logLevel: LogLevel;
    bucketArn: pulumi.Input<string>;
    /** What the function reads from its environment (functions/cleanup/settings.ts encodes it). */
    settings: pulumi.Input<CleanupSettings>;
    /** The distribution whose cached copies it invalidates: the only resource its CloudFront permission names. */
    distributionArn: pulumi.Input<string>;
    /** allowAnyResolution: the sizes are listed as the bucket's "<W>x<H>/" prefixes, so the root may be listed. */
    listSizePrefixes: boolean;
    /** Where Lambda sends the record of an event every attempt failed, to wait for an operator. */
    failureQueueArn: pulumi.Input<string>;
}

const CLEANUP_MEMORY_MB = 256;
const CLEANUP_ARCHITECTURE = "arm64";

/**
 * The cleanup Lambda (a serialized closure over functions/cleanup/cleanup.ts, bundled like presign's: it needs no
 * sharp) that the bucket notification (infra/storage/bucketEvents.ts) runs for every original removed or written under
 * uploads/: it deletes the image's variants (and, on removal, its status) and invalidates the image's cache tag.
 * It reads objects' metadata only (HEAD) and writes nothing, so it needs no KMS key.
 */
export class Cleanup extends pulumi.ComponentResource {
    public readonly functionName: pulumi.Output<string>;
    public readonly functionArn: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    /** What the alarms and the dashboard watch (infra/observability/). */
    public readonly watched: WatchedFunction;
    /** S3 may invoke the function: the bucket notification must be put after it (S3 checks it then). */
    public readonly invokePermission: aws.lambda.Permission;

    constructor(name: string, args: CleanupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:upload:Cleanup", name, {}, opts);

        const { role, logGroup, policy } = lambdaExecution(
            `${name}-handler`,
            [
                {
                    // The variants of one original, and its status on removal; DeleteObjects checks s3:DeleteObject
                    // for each key (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
                    sid: "DeleteVariantsAndStatus",
                    effect: "Allow",
                    actions: ["s3:DeleteObject"],
                    resources: [
                        pulumi.interpolate`${args.bucketArn}/${VARIANT_KEYS_PATTERN}`,
                        pulumi.interpolate`${args.bucketArn}/${STATUS_KEYS_PATTERN}`,
                    ],
                },
                {
                    // The variant pattern also matches e.g. uploads/1x1/uploads/a.jpg (functions/shared/bucketLayout.ts):
                    // originals and staged uploads are never this function's to delete.
                    sid: "NeverDeleteOriginalsOrUploads",
                    effect: "Deny",
                    actions: ["s3:DeleteObject"],
                    resources: [
                        pulumi.interpolate`${args.bucketArn}/${ORIGINAL_KEYS_PATTERN}`,
                        pulumi.interpolate`${args.bucketArn}/${STAGING_KEYS_PATTERN}`,
                    ],
                },
                {
                    // What an original's and its variants' metadata say (version, cache tag): HEAD, which is
                    // s3:GetObject (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html). No KMS key:
                    // it reads no object's bytes.
                    sid: "HeadOriginalsAndVariants",
                    effect: "Allow",
                    actions: ["s3:GetObject"],
                    resources: [
                        pulumi.interpolate`${args.bucketArn}/${ORIGINAL_KEYS_PATTERN}`,
                        pulumi.interpolate`${args.bucketArn}/${VARIANT_KEYS_PATTERN}`,
                    ],
                },
                {
                    // The variant pattern also matches e.g. incoming/1x1/uploads/a.jpg: staged uploads and statuses
                    // are never this function's to read.
                    sid: "NeverReadUploadsOrStatuses",
                    effect: "Deny",
                    actions: ["s3:GetObject"],
                    resources: [
                        pulumi.interpolate`${args.bucketArn}/${STAGING_KEYS_PATTERN}`,
                        pulumi.interpolate`${args.bucketArn}/${STATUS_KEYS_PATTERN}`,
                    ],
                },
                {
                    // Which keys exist: each is listed with its own key as the prefix.
                    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html (s3:prefix)
                    sid: "ListOneImagesKeys",
                    effect: "Allow",
                    actions: ["s3:ListBucket"],
                    resources: [args.bucketArn],
                    conditions: [
                        {
                            test: "StringLike",
                            variable: "s3:prefix",
                            values: [VARIANT_KEYS_PATTERN, ORIGINAL_KEYS_PATTERN, STATUS_KEYS_PATTERN],
                        },
                    ],
                },
                ...(args.listSizePrefixes
                    ? [
                          {
                              // Any size allowed: the sizes are the root's "<W>x<H>/" prefixes (Prefix "", Delimiter "/").
                              sid: "ListTheRootsPrefixes",
                              effect: "Allow",
                              actions: ["s3:ListBucket"],
                              resources: [args.bucketArn],
                              conditions: [
                                  { test: "StringEquals", variable: "s3:prefix", values: [""] },
                                  { test: "StringEquals", variable: "s3:delimiter", values: ["/"] },
                              ],
                          },
                      ]
                    : []),
                {
                    // Lambda sends the on-failure record with the function's role
                    // (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
                    sid: "SendFailureRecords",
                    effect: "Allow",
                    actions: ["sqs:SendMessage"],
                    resources: [args.failureQueueArn],
                },
                {
                    // The resource type of CreateInvalidation is the distribution
                    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudfront.html).
                    sid: "InvalidateThisDistribution",
                    effect: "Allow",
                    actions: ["cloudfront:CreateInvalidation"],
                    resources: [args.distributionArn],
                },
            ],
            this,
        );

        const { handler, watched } = pipelineFunction(
            `${name}-handler`,
            { role, logGroup },
            {
                label: "cleanup",
                description:
                    "Deletes a removed or replaced image's variants and invalidates its cache tag (image-pipeline)",
                architecture: CLEANUP_ARCHITECTURE,
                memoryMb: CLEANUP_MEMORY_MB,
                // The invalidation's retries take at most half of it (functions/cleanup/invalidate.ts).
                timeoutSeconds: CLEANUP_INVOCATION.timeoutSeconds,
                handler: CLOSURE_HANDLER,
                code: closureArchive(cleanupHandlerFactory),
                variables: pulumi.output(args.settings).apply(encodeCleanupSettings),
                logLevel: args.logLevel,
            },
            this,
        );

        // Retries and event age bounded; what still fails waits in the cleanup failures queue for an operator.
        asyncInvokeConfig(
            `${name}-invoke-config`,
            { functionName: handler.name, policy: CLEANUP_INVOCATION, failureQueueArn: args.failureQueueArn },
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
