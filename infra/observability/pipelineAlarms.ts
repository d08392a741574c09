// The stack's alarms: each on a metric its service publishes (metricDefinitions.ts checks), each notifying an
// alarms topic, each with a threshold from config. Missing data is "not breaching": AWS publishes most of these
// only when something happens (no errors, no metric), so quiet is OK, not INSUFFICIENT_DATA
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data).
// What each means and what to do: docs/operations.md, "Alarms".
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsMetric, cloudFrontMetric, lambdaMetric, MetricRef, queueDepthMetric } from "./metricDefinitions";
import type { AlarmThresholds, WatchedPipeline, WatchedResizer } from "./watchedPipeline";

/** Five minutes: the period of every count alarm (the thresholds' "in 5 minutes"). */
export const ALARM_PERIOD_SECONDS = 300;

type Comparison = "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold";

export interface AlarmSpec {
    description: string;
    metric: MetricRef;
    /** Sum, Average, Maximum, Minimum, or a percentile (p99). */
    stat: string;
    threshold: number;
    comparison?: Comparison;
    periodSeconds?: number;
    /** Consecutive periods that must breach (default 1). */
    periods?: number;
}

/** Where the alarms notify: a topic in the stack's region, and one in us-east-1 with that region's provider. */
export interface AlarmTargets {
    topicArn: pulumi.Input<string>;
    usEast1: { topicArn: pulumi.Input<string>; provider: pulumi.ProviderResource };
}

/** One alarm on one metric, notifying `topicArn` when it goes to ALARM and back to OK. */
export function metricAlarm(
    name: string,
    spec: AlarmSpec,
    topicArn: pulumi.Input<string>,
    opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
    const percentile = /^p\d/.test(spec.stat);
    return new aws.cloudwatch.MetricAlarm(
        name,
        {
            alarmDescription: `${spec.description} (image-pipeline; docs/operations.md, Alarms)`,
            namespace: spec.metric.namespace,
            metricName: spec.metric.metricName,
            dimensions: spec.metric.dimensions,
            statistic: percentile ? undefined : spec.stat,
            extendedStatistic: percentile ? spec.stat : undefined,
            period: spec.periodSeconds ?? ALARM_PERIOD_SECONDS,
            evaluationPeriods: spec.periods ?? 1,
            datapointsToAlarm: spec.periods ?? 1,
            threshold: spec.threshold,
            comparisonOperator: spec.comparison ?? "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
            alarmActions: [topicArn],
            okActions: [topicArn],
        },
        opts,
    );
}

/** Every alarm of the pipeline, children of `parent`. */
export function pipelineAlarms(
    name: string,
    parent: pulumi.Resource,
    watched: WatchedPipeline,
    thresholds: AlarmThresholds,
    targets: AlarmTargets,
): aws.cloudwatch.MetricAlarm[] {
    const here = (alarm: string, spec: AlarmSpec) =>
        metricAlarm(`${name}-${alarm}`, spec, targets.topicArn, { parent });
    const alarms = [
        ...watched.functions.map((fn) =>
            here(`${fn.label}-errors`, {
                description: `The ${fn.label} function failed ${thresholds.alarmFunctionErrors}+ times in 5 minutes`,
                metric: lambdaMetric("Errors", fn.functionName),
                stat: "Sum",
                threshold: thresholds.alarmFunctionErrors,
            }),
        ),
        ...watched.failureQueues.map((queue) =>
            here(`${queue.label}-waiting`, {
                description: `${thresholds.alarmFailureQueueMessages}+ records wait in the ${queue.label} queue`,
                metric: queueDepthMetric(queue.queueName),
                stat: "Maximum",
                threshold: thresholds.alarmFailureQueueMessages,
            }),
        ),
        here("api-5xx", {
            description: `The upload API answered ${thresholds.alarmServer5xx}+ 5xx in 5 minutes`,
            metric: awsMetric("AWS/ApiGateway", "5xx", { ApiId: watched.apiId }),
            stat: "Sum",
            threshold: thresholds.alarmServer5xx,
        }),
        ...resizerAlarms(watched.resizer, thresholds, here),
        // CloudFront's metrics exist only in us-east-1: the alarm lives there, and notifies the topic there.
        metricAlarm(
            `${name}-cdn-5xx-rate`,
            {
                description: `Over ${thresholds.alarmCdn5xxRatePercent}% of CDN requests got a 5xx in 5 minutes`,
                metric: cloudFrontMetric("5xxErrorRate", watched.distributionId),
                stat: "Average",
                threshold: thresholds.alarmCdn5xxRatePercent,
                comparison: "GreaterThanThreshold",
            },
            targets.usEast1.topicArn,
            { parent, provider: targets.usEast1.provider },
        ),
    ];
    if (watched.resizer.runtime === "fargate")
        alarms.push(albServerErrors(name, parent, watched.resizer, thresholds, targets));
    return alarms;
}

function resizerAlarms(
    resizer: WatchedResizer,
    thresholds: AlarmThresholds,
    here: (alarm: string, spec: AlarmSpec) => aws.cloudwatch.MetricAlarm,
): aws.cloudwatch.MetricAlarm[] {
    if (resizer.runtime === "lambda") {
        const functionName = resizer.function.functionName;
        const limitMs = (resizer.timeoutSeconds * 1000 * thresholds.alarmResizerDurationPercent) / 100;
        return [
            here("resizer-throttles", {
                description: `The Resizer was throttled ${thresholds.alarmResizerThrottles}+ times in 5 minutes (reserved concurrency reached)`,
                metric: lambdaMetric("Throttles", functionName),
                stat: "Sum",
                threshold: thresholds.alarmResizerThrottles,
            }),
            here("resizer-duration", {
                description: `The Resizer's p99 duration passed ${thresholds.alarmResizerDurationPercent}% of its ${resizer.timeoutSeconds} s timeout, 15 minutes running`,
                metric: lambdaMetric("Duration", functionName),
                stat: "p99",
                threshold: limitMs,
                comparison: "GreaterThanThreshold",
                periods: 3,
            }),
        ];
    }
    const dimensions = { LoadBalancer: resizer.loadBalancer, TargetGroup: resizer.targetGroup };
    return [
        here("resizer-unhealthy-hosts", {
            description: "A Resizer task has failed its health checks for 5 minutes",
            metric: awsMetric("AWS/ApplicationELB", "UnHealthyHostCount", dimensions),
            stat: "Minimum",
            threshold: 1,
            periodSeconds: 60,
            periods: 5,
        }),
        here("resizer-tasks-at-max", {
            description: `The Resizer has run at fargateMaxTasks (${resizer.maxTasks}) for 15 minutes: scaling has no room left`,
            metric: awsMetric("ECS/ContainerInsights", "RunningTaskCount", {
                ClusterName: resizer.clusterName,
                ServiceName: resizer.serviceName,
            }),
            stat: "Minimum",
            threshold: resizer.maxTasks,
            periods: 3,
        }),
    ];
}

/** The Resizer's load balancer: 5xx it made itself (no healthy target, timeouts) plus those the tasks answered. */
function albServerErrors(
    name: string,
    parent: pulumi.Resource,
    resizer: Extract<WatchedResizer, { runtime: "fargate" }>,
    thresholds: AlarmThresholds,
    targets: AlarmTargets,
): aws.cloudwatch.MetricAlarm {
    const query = (id: string, metric: MetricRef) => ({
        id,
        returnData: false,
        metric: { ...metric, stat: "Sum", period: ALARM_PERIOD_SECONDS },
    });
    const dimensions = { LoadBalancer: resizer.loadBalancer };
    return new aws.cloudwatch.MetricAlarm(
        `${name}-resizer-alb-5xx`,
        {
            alarmDescription: `The Resizer's load balancer answered ${thresholds.alarmServer5xx}+ 5xx in 5 minutes (image-pipeline; docs/operations.md, Alarms)`,
            metricQueries: [
                query("elb", awsMetric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", dimensions)),
                query("target", awsMetric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", dimensions)),
                { id: "all", expression: "FILL(elb, 0) + FILL(target, 0)", label: "ALB 5xx", returnData: true },
            ],
            evaluationPeriods: 1,
            datapointsToAlarm: 1,
            threshold: thresholds.alarmServer5xx,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
            alarmActions: [targets.topicArn],
            okActions: [targets.topicArn],
        },
        { parent },
    );
}
