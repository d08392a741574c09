// The one place the Resizer's runtime is decided (config resizerRuntime): everything else asks the ResizerOrigin
// for what it needs, the same question whichever runtime answers it.
import * as pulumi from "@pulumi/pulumi";
import type { PipelineConfig } from "../../config/configKeys";
import { ResizeSettings } from "../../functions/resize/settings";
import { sharpLambdaArchive } from "../builders/resizerArchive";
import { FailoverOrigin, functionUrlOrigin, vpcOrigin } from "../delivery/failoverOrigins";
import { FargateResizer } from "./fargateResizer";
import { Resizer } from "./resizer";
import type { WatchedResizer } from "../observability/watchedPipeline";

/** What the stack needs of the Resizer, whichever runtime runs it. */
export interface ResizerOrigin {
    /** CloudFront's failover origin for the variants the bucket does not have yet. */
    cdnOrigin: FailoverOrigin;
    /** The upload API's GET /resize target: the Lambda; none with fargate (variants come through the CDN). */
    resizeRoute?: { functionName: pulumi.Output<string>; functionArn: pulumi.Output<string> };
    /** The sharp archive Ingest runs from (ingest.js beside the Resizer's index.js): one sharp build per stack. */
    ingestCode: pulumi.Output<pulumi.asset.AssetArchive>;
    /** What the alarms and the dashboard watch of it. */
    watched: WatchedResizer;
}

/** The config the Resizer is made from. */
export type ResizerConfig = Pick<
    PipelineConfig,
    | "resizerRuntime"
    | "resizerArchitecture"
    | "resizerMemoryMb"
    | "resizerTimeoutSeconds"
    | "resizerReservedConcurrency"
    | "fargateCpu"
    | "fargateMemoryMb"
    | "fargateMinTasks"
    | "fargateMaxTasks"
    | "fargateTargetCpuPercent"
    | "fargateTargetRequestsPerTask"
    | "logLevel"
>;

export interface ResizerOriginArgs {
    bucketArn: pulumi.Input<string>;
    /** The bucket's SSE-KMS key (key ARN): reading originals decrypts, writing variants encrypts. */
    kmsKeyArn?: pulumi.Input<string>;
    /** What the Resizer reads from its environment (functions/resize/settings.ts encodes it). */
    settings: pulumi.Input<ResizeSettings>;
}

/**
 * Makes the Resizer `name` for the configured runtime: lambda, a sharp Lambda behind a Function URL (infra/resize/
 * resizer.ts); fargate, containers behind an internal ALB that CloudFront reaches through a VPC origin
 * (infra/resize/fargateResizer.ts).
 */
export function resizerOrigin(name: string, config: ResizerConfig, args: ResizerOriginArgs): ResizerOrigin {
    switch (config.resizerRuntime) {
        case "lambda": {
            const resizer = new Resizer(name, {
                bucketArn: args.bucketArn,
                settings: args.settings,
                architecture: config.resizerArchitecture,
                memoryMb: config.resizerMemoryMb,
                timeoutSeconds: config.resizerTimeoutSeconds,
                reservedConcurrency: config.resizerReservedConcurrency,
                kmsKeyArn: args.kmsKeyArn,
                logLevel: config.logLevel,
            });
            return {
                cdnOrigin: functionUrlOrigin(resizer),
                resizeRoute: { functionName: resizer.functionName, functionArn: resizer.functionArn },
                ingestCode: resizer.code,
                watched: { runtime: "lambda", function: resizer.watched, timeoutSeconds: config.resizerTimeoutSeconds },
            };
        }
        case "fargate": {
            const resizer = new FargateResizer(name, {
                bucketArn: args.bucketArn,
                settings: args.settings,
                architecture: config.resizerArchitecture,
                cpu: config.fargateCpu,
                memoryMb: config.fargateMemoryMb,
                minTasks: config.fargateMinTasks,
                maxTasks: config.fargateMaxTasks,
                targetCpuPercent: config.fargateTargetCpuPercent,
                targetRequestsPerTask: config.fargateTargetRequestsPerTask,
                kmsKeyArn: args.kmsKeyArn,
                logLevel: config.logLevel,
            });
            // No Lambda holds the sharp archive: the same one is built for Ingest alone.
            return {
                cdnOrigin: vpcOrigin(resizer),
                ingestCode: sharpLambdaArchive(config.resizerArchitecture),
                watched: resizer.watched,
            };
        }
    }
}
