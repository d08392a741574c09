// The stack's CloudWatch dashboard, the place to look first: uploads, the Resizer, variants, the CDN, the failure
// destinations and an estimated cost, each widget built from the same metric definitions as the alarms
// (metricDefinitions.ts). Body format:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IMAGE_CONTENT_TYPES } from "../../functions/shared/imageTypes";
import { PipelineMetricName } from "../../functions/shared/pipelineMetrics";
import { cdnCostMetrics, COST_PERIOD_SECONDS, regionalCostMetrics } from "./costEstimate";
import {
    awsMetric,
    cloudFrontMetric,
    lambdaMetric,
    pipelineMetric,
    queueDepthMetric,
    widgetMetric,
} from "./metricDefinitions";
import type { WatchedPipeline } from "./watchedPipeline";

/** CloudFront's metrics are published in us-east-1 only. */
export const CLOUDFRONT_METRICS_REGION = "us-east-1";
/** The variants' `format` dimension values: sharp's names of the output formats (functions/resize/resize.ts). */
const OUTPUT_FORMATS = IMAGE_CONTENT_TYPES.map((type) => type.replace(/^image\//, ""));
const PERIOD_SECONDS = 300;

interface Widget {
    title: string;
    metrics: pulumi.Input<unknown[]>[];
    /** Default: the stack's region. */
    region?: string;
    stat?: string;
    period?: number;
}

/** Every widget, in reading order. */
export function dashboardWidgets(watched: WatchedPipeline, namespace: string): Widget[] {
    const own = (name: PipelineMetricName, options: Record<string, unknown> = {}) =>
        widgetMetric(pipelineMetric(namespace, name), { label: name, ...options });
    const percentiles = (name: PipelineMetricName) => [
        own(name, { stat: "p50", label: `${name} p50` }),
        own(name, { stat: "p99", label: `${name} p99` }),
    ];
    const cdn = (metricName: string) => widgetMetric(cloudFrontMetric(metricName, watched.distributionId));
    return [
        { title: "Uploads by outcome", metrics: [own("UploadsReady"), own("UploadsRejected"), own("UploadsFailed")] },
        { title: "Ingest time (ms)", metrics: percentiles("IngestMs") },
        { title: "Ingest bytes in / out", metrics: [own("IngestBytesIn"), own("IngestBytesOut")] },
        ...resizerWidgets(watched),
        {
            title: "Resize and original read (ms)",
            metrics: [...percentiles("ResizeMs"), ...percentiles("OriginalReadMs")],
        },
        {
            title: "Variants made by format",
            metrics: OUTPUT_FORMATS.map((format) =>
                widgetMetric(pipelineMetric(namespace, "VariantsMade", format), { label: format }),
            ),
        },
        { title: "CDN requests", region: CLOUDFRONT_METRICS_REGION, metrics: [cdn("Requests")] },
        { title: "CDN bytes downloaded", region: CLOUDFRONT_METRICS_REGION, metrics: [cdn("BytesDownloaded")] },
        {
            title: "CDN cache hit rate and 4xx / 5xx rates (%)",
            region: CLOUDFRONT_METRICS_REGION,
            stat: "Average",
            metrics: [
                ...(watched.cdnAdditionalMetrics ? [cdn("CacheHitRate")] : []),
                cdn("4xxErrorRate"),
                cdn("5xxErrorRate"),
            ],
        },
        {
            title: "Failure destinations: records waiting",
            stat: "Maximum",
            metrics: watched.failureQueues.map((queue) =>
                widgetMetric(queueDepthMetric(queue.queueName), { label: queue.label }),
            ),
        },
        {
            title: "Cleanup: objects deleted, invalidations",
            metrics: [own("ObjectsDeleted"), own("InvalidationsMade")],
        },
        {
            title: "Estimated cost: Lambda, API, Fargate",
            period: COST_PERIOD_SECONDS,
            metrics: regionalCostMetrics(watched),
        },
        {
            title: "Estimated cost: CloudFront",
            region: CLOUDFRONT_METRICS_REGION,
            period: COST_PERIOD_SECONDS,
            metrics: cdnCostMetrics(watched.distributionId),
        },
    ];
}

function resizerWidgets(watched: WatchedPipeline): Widget[] {
    const resizer = watched.resizer;
    if (resizer.runtime === "lambda") {
        const fn = (metricName: string, options: Record<string, unknown> = {}) =>
            widgetMetric(lambdaMetric(metricName, resizer.function.functionName), options);
        return [
            {
                title: "Resizer invocations, errors, throttles",
                metrics: [fn("Invocations"), fn("Errors"), fn("Throttles")],
            },
            {
                title: "Resizer duration (ms)",
                metrics: [fn("Duration", { stat: "p50", label: "p50" }), fn("Duration", { stat: "p99", label: "p99" })],
            },
        ];
    }
    const alb = (metricName: string, options: Record<string, unknown> = {}) =>
        widgetMetric(
            awsMetric("AWS/ApplicationELB", metricName, {
                LoadBalancer: resizer.loadBalancer,
                TargetGroup: resizer.targetGroup,
            }),
            options,
        );
    const tasks = awsMetric("ECS/ContainerInsights", "RunningTaskCount", {
        ClusterName: resizer.clusterName,
        ServiceName: resizer.serviceName,
    });
    return [
        {
            title: "Resizer requests and 5xx (load balancer)",
            metrics: [
                alb("RequestCount"),
                alb("HTTPCode_Target_5XX_Count"),
                widgetMetric(
                    awsMetric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", { LoadBalancer: resizer.loadBalancer }),
                ),
            ],
        },
        {
            title: "Resizer response time (s)",
            metrics: [
                alb("TargetResponseTime", { stat: "p50", label: "p50" }),
                alb("TargetResponseTime", { stat: "p99", label: "p99" }),
            ],
        },
        {
            title: "Resizer tasks",
            stat: "Average",
            metrics: [widgetMetric(tasks), alb("HealthyHostCount"), alb("UnHealthyHostCount")],
        },
    ];
}

/** The dashboard body: widgets two to a row, 12 columns wide each. */
export function dashboardBody(widgets: Widget[], region: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.jsonStringify({
        widgets: widgets.map((widget, i) => ({
            type: "metric",
            x: (i % 2) * 12,
            y: Math.floor(i / 2) * 6,
            width: 12,
            height: 6,
            properties: {
                title: widget.title,
                region: widget.region ?? region,
                view: "timeSeries",
                stat: widget.stat ?? "Sum",
                period: widget.period ?? PERIOD_SECONDS,
                metrics: widget.metrics,
            },
        })),
    });
}

/** The dashboard `dashboardName` in the stack's region, and its console URL. */
export function pipelineDashboard(
    dashboardName: string,
    parent: pulumi.Resource,
    watched: WatchedPipeline,
    namespace: string,
): pulumi.Output<string> {
    const region = aws.getRegionOutput({}, { parent }).region;
    const dashboard = new aws.cloudwatch.Dashboard(
        dashboardName,
        { dashboardName, dashboardBody: dashboardBody(dashboardWidgets(watched, namespace), region) },
        { parent },
    );
    return pulumi.interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${dashboard.dashboardName}`;
}
