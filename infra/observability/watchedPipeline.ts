// What the alarms and the dashboard watch: the stack's parts, by the names CloudWatch knows them by.
import type * as pulumi from "@pulumi/pulumi";
import type { PipelineConfig } from "../../config/configKeys";

export interface WatchedFunction {
    /** Short, stable: it names the alarm resource (`<label>-errors`) and the widget line. */
    label: string;
    functionName: pulumi.Input<string>;
    /** Its memory and architecture: the cost estimate's GB-seconds and their price. */
    memoryMb: number;
    architecture: PipelineConfig["resizerArchitecture"];
}

/** The Resizer, whichever runtime runs it (infra/resize/resizerOrigin.ts says which). */
export type WatchedResizer =
    | { runtime: "lambda"; function: WatchedFunction; timeoutSeconds: number }
    | {
          runtime: "fargate";
          /** ARN suffixes, the ALB metrics' LoadBalancer and TargetGroup dimension values (app/…, targetgroup/…). */
          loadBalancer: pulumi.Input<string>;
          targetGroup: pulumi.Input<string>;
          clusterName: pulumi.Input<string>;
          serviceName: pulumi.Input<string>;
          maxTasks: number;
          /** The task's size and architecture: the cost estimate's price per task-hour. */
          taskVcpu: number;
          taskMemoryMb: number;
          architecture: PipelineConfig["resizerArchitecture"];
      };

export interface WatchedPipeline {
    /** Every Lambda function of the stack (the Resizer's too, when it is one). */
    functions: WatchedFunction[];
    resizer: WatchedResizer;
    /** The failure destinations: each failure queue and dead-letter queue, by queue name. */
    failureQueues: Array<{ label: string; queueName: pulumi.Input<string> }>;
    /** The upload HTTP API's id. */
    apiId: pulumi.Input<string>;
    distributionId: pulumi.Input<string>;
    /** config cdnAdditionalMetrics: CloudFront publishes CacheHitRate (the dashboard shows it) only with these on. */
    cdnAdditionalMetrics: boolean;
}

/** The alarm thresholds (config keys alarm*; README's configuration table). */
export type AlarmThresholds = Pick<
    PipelineConfig,
    | "alarmFunctionErrors"
    | "alarmResizerThrottles"
    | "alarmResizerDurationPercent"
    | "alarmServer5xx"
    | "alarmCdn5xxRatePercent"
    | "alarmFailureQueueMessages"
>;
