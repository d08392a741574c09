// The metrics AWS publishes that an alarm or a dashboard widget of this stack may name: per namespace, each metric
// with the dimension sets the service publishes it under, as AWS's metric page (cited per namespace) lists them.
// CloudWatch accepts an alarm on any name and dimensions, published or not, and such an alarm sits in
// INSUFFICIENT_DATA (or OK with notBreaching) for ever: a typo is a silent alarm. So every metric reference the
// stack makes is checked here when it is made (metricProblem), and tests/stack/metricCatalog.spec.ts walks them all.
import { FORMAT_DIMENSION, PIPELINE_METRICS, SERVICE_DIMENSION } from "../../functions/shared/pipelineMetrics";

/** What must be switched on for a metric to be published at all. */
export type MetricPrerequisite =
    /** CloudFront's additional distribution metrics (a monitoring subscription, billed). */
    | "cloudfrontAdditionalMetrics"
    /** Container Insights on the ECS cluster (billed as custom metrics). */
    | "ecsContainerInsights";

export interface CatalogMetric {
    /** Each set of dimension names the metric is published under (the empty set: the account-wide aggregate). */
    dimensionSets: string[][];
    /** Dimensions whose value is fixed by the service (CloudFront's Region is always Global). */
    fixedValues?: Record<string, string>;
    requires?: MetricPrerequisite;
}

export interface CatalogNamespace {
    /** The AWS page the names and dimensions were checked against. */
    doc: string;
    metrics: Record<string, CatalogMetric>;
}

const each = (names: string[], metric: CatalogMetric): Record<string, CatalogMetric> =>
    Object.fromEntries(names.map((name) => [name, metric]));

const LAMBDA_FUNCTION = { dimensionSets: [[], ["FunctionName"], ["FunctionName", "Resource"]] };
const CLOUDFRONT_DISTRIBUTION = { dimensionSets: [["DistributionId", "Region"]], fixedValues: { Region: "Global" } };
const ALB_LOAD_BALANCER = { dimensionSets: [["LoadBalancer"], ["AvailabilityZone", "LoadBalancer"]] };
const ALB_TARGET_GROUP = {
    dimensionSets: [
        ["LoadBalancer"],
        ["AvailabilityZone", "LoadBalancer"],
        ["TargetGroup"],
        ["LoadBalancer", "TargetGroup"],
        ["AvailabilityZone", "LoadBalancer", "TargetGroup"],
    ],
};
const ALB_HOST_COUNT = {
    dimensionSets: [
        ["LoadBalancer", "TargetGroup"],
        ["AvailabilityZone", "LoadBalancer", "TargetGroup"],
    ],
};

export const AWS_METRIC_CATALOG: Record<string, CatalogNamespace> = {
    "AWS/Lambda": {
        doc: "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html",
        metrics: each(["Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"], LAMBDA_FUNCTION),
    },
    // HTTP APIs publish `4xx`, `5xx`, `Count` (not the REST APIs' 4XXError, 5XXError) under ApiId, not ApiName.
    "AWS/ApiGateway": {
        doc: "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html",
        metrics: each(["4xx", "5xx", "Count", "IntegrationLatency", "Latency", "DataProcessed"], {
            dimensionSets: [["ApiId"], ["ApiId", "Stage"], ["ApiId", "Route", "Stage"]],
        }),
    },
    // Only in us-east-1, with Region = Global (CloudFront is global). CacheHitRate and OriginLatency only with the
    // distribution's additional metrics on.
    "AWS/CloudFront": {
        doc: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/programming-cloudwatch-metrics.html",
        metrics: {
            ...each(
                ["Requests", "BytesDownloaded", "BytesUploaded", "TotalErrorRate", "4xxErrorRate", "5xxErrorRate"],
                CLOUDFRONT_DISTRIBUTION,
            ),
            ...each(["CacheHitRate", "OriginLatency"], {
                ...CLOUDFRONT_DISTRIBUTION,
                requires: "cloudfrontAdditionalMetrics",
            }),
        },
    },
    "AWS/SQS": {
        doc: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html",
        metrics: each(
            [
                "ApproximateNumberOfMessagesVisible",
                "ApproximateAgeOfOldestMessage",
                "NumberOfMessagesSent",
                "NumberOfMessagesReceived",
            ],
            { dimensionSets: [["QueueName"]] },
        ),
    },
    "AWS/ApplicationELB": {
        doc: "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html",
        metrics: {
            ...each(["HTTPCode_ELB_5XX_Count", "HTTPCode_ELB_4XX_Count"], ALB_LOAD_BALANCER),
            ...each(["RequestCount", "HTTPCode_Target_5XX_Count", "TargetResponseTime"], ALB_TARGET_GROUP),
            ...each(["HealthyHostCount", "UnHealthyHostCount"], ALB_HOST_COUNT),
        },
    },
    // AWS/ECS publishes only CPU and memory utilization for a Fargate service; the task counts are Container
    // Insights', published once the cluster has it on (containerInsights = enabled).
    "ECS/ContainerInsights": {
        doc: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html",
        metrics: each(["RunningTaskCount", "DesiredTaskCount", "PendingTaskCount"], {
            dimensionSets: [["ClusterName", "ServiceName"]],
            requires: "ecsContainerInsights",
        }),
    },
};

/** The stack's own namespace: what the functions publish (functions/shared/pipelineMetrics.ts), nothing else. */
export function pipelineCatalog(namespace: string): Record<string, CatalogNamespace> {
    const metrics = Object.fromEntries(
        Object.entries(PIPELINE_METRICS).map(([name, metric]) => [
            name,
            {
                dimensionSets: [
                    "byFormat" in metric && metric.byFormat
                        ? [FORMAT_DIMENSION, SERVICE_DIMENSION]
                        : [SERVICE_DIMENSION],
                ],
            },
        ]),
    );
    return {
        [namespace]: {
            doc: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html",
            metrics,
        },
    };
}

/** A metric as an alarm or a widget names it; dimension values may still be unknown (Outputs). */
export interface MetricName {
    namespace: string;
    metricName: string;
    dimensions: Record<string, unknown>;
}

/** Why `metric` is not one its service publishes (undefined when it is), against `catalog`. */
export function metricProblem(metric: MetricName, catalog: Record<string, CatalogNamespace>): string | undefined {
    const where = `${metric.namespace} ${metric.metricName}`;
    const namespace = catalog[metric.namespace];
    if (!namespace) return `${where}: no such namespace in the catalogue`;
    const known = namespace.metrics[metric.metricName];
    if (!known) return `${where}: not a metric ${metric.namespace} publishes (${namespace.doc})`;
    const names = Object.keys(metric.dimensions).sort();
    if (!known.dimensionSets.some((set) => [...set].sort().join() === names.join())) {
        const sets = known.dimensionSets.map((set) => `[${set.join(", ")}]`).join(" ");
        return `${where}: dimensions [${names.join(", ")}] are none of ${sets} (${namespace.doc})`;
    }
    for (const [name, value] of Object.entries(known.fixedValues ?? {})) {
        if (metric.dimensions[name] !== value) return `${where}: dimension ${name} must be ${value}`;
    }
    return undefined;
}
