// The pipeline's own metrics, published without an API call: each function writes CloudWatch embedded metric
// format (EMF) lines, made by Powertools for AWS Lambda's Metrics, and CloudWatch Logs extracts the metrics from
// them (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
// This table is the one place their names, units and dimensions are written: the functions publish from it and
// infra/observability/metricDefinitions.ts builds the dashboard (and any alarm) from it.
import { Metrics } from "@aws-lambda-powertools/metrics";
import { LineSink, stdoutLine } from "./structuredLog";

/** The functions that publish metrics: each is a `service` dimension value. */
export type MetricService = "ingest" | "ingest-failure" | "resize" | "cleanup";
export type MetricUnit = "Count" | "Milliseconds" | "Bytes";

export interface PipelineMetric {
    service: MetricService;
    unit: MetricUnit;
    /** Published with a `format` dimension too (the variant's output format). */
    byFormat?: boolean;
}

/** Every metric the pipeline publishes, by name. */
export const PIPELINE_METRICS = {
    /** An upload checked and stored: its status says ready. */
    UploadsReady: { service: "ingest", unit: "Count" },
    /** An upload refused by its checks (type, size, pixels, decode): rejected. */
    UploadsRejected: { service: "ingest", unit: "Count" },
    /** An upload whose every ingest attempt failed, ended `failed` by the failure consumer. */
    UploadsFailed: { service: "ingest-failure", unit: "Count" },
    /** From reading the staged upload to its final status, per upload. */
    IngestMs: { service: "ingest", unit: "Milliseconds" },
    /** The staged upload's bytes, and the stored original's (metadata stripped, maybe re-encoded). */
    IngestBytesIn: { service: "ingest", unit: "Bytes" },
    IngestBytesOut: { service: "ingest", unit: "Bytes" },
    /** A variant made by the Resizer (not one found stored), by its output format. */
    VariantsMade: { service: "resize", unit: "Count", byFormat: true },
    /** Decode, resize and encode of one variant. */
    ResizeMs: { service: "resize", unit: "Milliseconds" },
    /** Reading the original from S3 for one variant. */
    OriginalReadMs: { service: "resize", unit: "Milliseconds" },
    /** Variants the cleanup function deleted (an image's status goes with them, not counted: deleting a missing key
     *  succeeds, so it is no measure). */
    ObjectsDeleted: { service: "cleanup", unit: "Count" },
    /** CloudFront invalidations the cleanup function created. */
    InvalidationsMade: { service: "cleanup", unit: "Count" },
} as const satisfies Record<string, PipelineMetric>;

export type PipelineMetricName = keyof typeof PIPELINE_METRICS;

/** The dimensions: every metric has `service`; byFormat ones `format` too. */
export const SERVICE_DIMENSION = "service";
export const FORMAT_DIMENSION = "format";

/** The stack's namespace: `<project>/<stack>` (CloudWatch reserves `AWS/`), so two stacks never mix. */
export function metricsNamespace(project: string, stack: string): string {
    return `${project}/${stack}`;
}

export interface MetricsRecorder {
    /** Records one value; `format` for the byFormat metrics. */
    add(name: PipelineMetricName, value: number, format?: string): void;
    /** Writes what was recorded as EMF lines (one per dimension set) and forgets it; nothing recorded: no line.
     *  `properties` (the upload's id) go in each line as plain members, no dimension: a metric line is found from
     *  its upload's log line, and no per-upload series is made (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html,
     *  "The root node MAY contain any other members"). */
    flush(properties?: Record<string, string | undefined>): void;
}

/**
 * A recorder for `service`'s metrics in `namespace`, writing to `sink` (stdout by default, as the logs). Like a
 * Logger it is made in the handler factory, not at module load (serialized closures). Each flush serializes with
 * Powertools' Metrics, one document per dimension set, so a variant's format never splits the other metrics.
 */
export function createMetrics(namespace: string, service: MetricService, sink: LineSink = stdoutLine): MetricsRecorder {
    let recorded: Array<{ name: PipelineMetricName; value: number; format?: string }> = [];
    return {
        add(name, value, format) {
            const metric: PipelineMetric = PIPELINE_METRICS[name];
            if (metric.service !== service) throw new Error(`${name} is the ${metric.service} function's metric`);
            if (Boolean(metric.byFormat) !== (format !== undefined)) throw new Error(`${name}: format dimension`);
            recorded.push({ name, value, format });
        },
        flush(properties = {}) {
            const groups = new Map<string, typeof recorded>();
            for (const entry of recorded)
                groups.set(entry.format ?? "", [...(groups.get(entry.format ?? "") ?? []), entry]);
            recorded = [];
            for (const [format, entries] of groups) {
                const document = new Metrics({ namespace, serviceName: service });
                if (format) document.addDimension(FORMAT_DIMENSION, format);
                for (const [key, value] of Object.entries(properties))
                    if (value !== undefined) document.addMetadata(key, value);
                for (const entry of entries)
                    document.addMetric(entry.name, PIPELINE_METRICS[entry.name].unit, entry.value);
                sink(JSON.stringify(document.serializeMetrics()));
            }
        },
    };
}
