// Every metric a stack's alarms and dashboard name, read off the resources the mocks recorded: what the metric
// catalogue spec checks against the catalogue of what AWS publishes.
import type { MetricName } from "../../infra/observability/awsMetricCatalog";
import type { RecordedResource } from "./pulumiMocks";

export interface FoundMetric extends MetricName {
    /** Where it was found: the alarm's name, or the widget's title. */
    where: string;
    /** The region it is read in: the widget's (or its metric's) region; for alarms, undefined. */
    region?: string;
}

/** The metrics of one aws:cloudwatch/metricAlarm: its single metric, or each metric of its metric queries. */
export function alarmMetrics(alarm: RecordedResource): FoundMetric[] {
    const inputs = alarm.inputs;
    if (inputs.metricName !== undefined || inputs.namespace !== undefined) {
        return [
            {
                where: alarm.name,
                namespace: inputs.namespace,
                metricName: inputs.metricName,
                dimensions: inputs.dimensions ?? {},
            },
        ];
    }
    return (inputs.metricQueries ?? [])
        .filter((query: any) => query.metric)
        .map((query: any) => ({
            where: `${alarm.name} ${query.id}`,
            namespace: query.metric.namespace,
            metricName: query.metric.metricName,
            dimensions: query.metric.dimensions ?? {},
        }));
}

/** The metrics of a dashboard body: each widget's metric lines, [namespace, name, dim, value, …, options?]
 *  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html);
 *  expression lines ([{ expression }]) name no metric. */
export function dashboardMetrics(body: string): FoundMetric[] {
    const found: FoundMetric[] = [];
    for (const widget of JSON.parse(body).widgets) {
        for (const line of widget.properties?.metrics ?? []) {
            if (typeof line[0] !== "string") continue;
            const hasOptions = typeof line[line.length - 1] === "object";
            const options = hasOptions ? line[line.length - 1] : {};
            const [namespace, metricName, ...pairs] = hasOptions ? line.slice(0, -1) : line;
            if (pairs.length % 2 !== 0) throw new Error(`${widget.properties.title}: odd dimension list`);
            const dimensions: Record<string, string> = {};
            for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
            found.push({
                where: widget.properties.title,
                namespace,
                metricName,
                dimensions,
                region: options.region ?? widget.properties.region,
            });
        }
    }
    return found;
}
