// Every metric the alarms and the dashboard name, made in one place and checked against what its service
// publishes when made (awsMetricCatalog.ts): a renamed metric or a mistyped dimension fails `pulumi preview`, not
// the night the alarm should have fired. The pipeline's own metrics come from PIPELINE_METRICS
// (functions/shared/pipelineMetrics.ts), the table the functions publish from.
import * as pulumi from "@pulumi/pulumi";
import {
    FORMAT_DIMENSION,
    PIPELINE_METRICS,
    PipelineMetricName,
    SERVICE_DIMENSION,
} from "../../functions/shared/pipelineMetrics";
import { AWS_METRIC_CATALOG, CatalogNamespace, metricProblem, pipelineCatalog } from "./awsMetricCatalog";

/** A metric as CloudWatch identifies it: namespace, name, dimensions. */
export interface MetricRef {
    namespace: string;
    metricName: string;
    dimensions: Record<string, pulumi.Input<string>>;
}

function checked(metric: MetricRef, catalog: Record<string, CatalogNamespace>): MetricRef {
    const problem = metricProblem(metric, catalog);
    if (problem) throw new Error(`no alarm or widget on an unpublished metric: ${problem}`);
    return metric;
}

/** An AWS service's metric; throws when the service does not publish it under these dimensions. */
export function awsMetric(
    namespace: string,
    metricName: string,
    dimensions: Record<string, pulumi.Input<string>>,
): MetricRef {
    return checked({ namespace, metricName, dimensions }, AWS_METRIC_CATALOG);
}

/** One of the pipeline's own metrics in the stack's namespace, with the dimensions the functions give it. */
export function pipelineMetric(namespace: string, name: PipelineMetricName, format?: string): MetricRef {
    const metric = PIPELINE_METRICS[name];
    const dimensions: Record<string, string> = { [SERVICE_DIMENSION]: metric.service };
    if (format !== undefined) dimensions[FORMAT_DIMENSION] = format;
    return checked({ namespace, metricName: name, dimensions }, pipelineCatalog(namespace));
}

/** CloudFront's metrics of one distribution: Region is always Global, and they live in us-east-1. */
export function cloudFrontMetric(metricName: string, distributionId: pulumi.Input<string>): MetricRef {
    return awsMetric("AWS/CloudFront", metricName, { DistributionId: distributionId, Region: "Global" });
}

export function lambdaMetric(metricName: string, functionName: pulumi.Input<string>): MetricRef {
    return awsMetric("AWS/Lambda", metricName, { FunctionName: functionName });
}

export function queueDepthMetric(queueName: pulumi.Input<string>): MetricRef {
    return awsMetric("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: queueName });
}

/** A dashboard widget's metric line: [namespace, name, dim, value, …, options]. */
export function widgetMetric(metric: MetricRef, options: Record<string, unknown> = {}): pulumi.Output<unknown[]> {
    const pairs = Object.entries(metric.dimensions).map(([name, value]) =>
        pulumi.output(value).apply((resolved) => [name, resolved]),
    );
    return pulumi
        .all(pairs)
        .apply((resolved) => [
            metric.namespace,
            metric.metricName,
            ...resolved.flat(),
            ...(Object.keys(options).length ? [options] : []),
        ]);
}
