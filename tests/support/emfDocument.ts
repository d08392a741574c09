// Reads CloudWatch embedded metric format (EMF) lines as CloudWatch Logs does, refusing what the specification
// refuses (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
// - the log event is one JSON object, nothing before or after it, at most 256 KB (a Logs event's limit);
// - `_aws` holds `Timestamp` (a number: milliseconds since the epoch) and `CloudWatchMetrics` (MetricDirectives);
// - a MetricDirective has `Namespace` (a string), `Dimensions` (an array of DimensionSets: arrays of at most 30
//   strings, each naming a root member whose value is a string) and `Metrics` (at most 100 MetricDefinitions);
// - a MetricDefinition has `Name` (naming a root member whose value is a number, or an array of at most 100
//   numbers), an optional `Unit` (one of MetricDatum's units) and an optional `StorageResolution` (1 or 60).
// The specs read the pipeline's metric lines through this, so a line CloudWatch would drop fails them.

/** MetricDatum's units (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html). */
export const METRIC_DATUM_UNITS = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

const MAX_EVENT_BYTES = 256 * 1024;
const MAX_DIMENSIONS_PER_SET = 30;
const MAX_METRICS_PER_DIRECTIVE = 100;
const MAX_VALUES_PER_METRIC = 100;

/** One metric as CloudWatch would extract it: its namespace, dimension values, unit and value(s). */
export interface ExtractedMetric {
    namespace: string;
    dimensions: Record<string, string>;
    name: string;
    unit?: string;
    value: number | number[];
    /** The whole line's document: its other members (an upload id ...) are read from here. */
    document: Record<string, unknown>;
}

function fail(line: string, problem: string): never {
    throw new Error(`not an EMF document (${problem}): ${line.slice(0, 300)}`);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);

/** Whether a line is meant as an EMF document (it carries `_aws`); such a line must then pass parseEmf. */
export function isEmfLine(line: string): boolean {
    try {
        const parsed = JSON.parse(line);
        return isObject(parsed) && "_aws" in parsed;
    } catch {
        return false;
    }
}

/** The metrics one EMF line carries, one per (dimension set, metric); throws on anything the specification refuses. */
export function parseEmf(line: string): { document: Record<string, unknown>; metrics: ExtractedMetric[] } {
    if (Buffer.byteLength(line) > MAX_EVENT_BYTES) fail(line, "larger than 256 KB");
    if (line.trim() !== line) fail(line, "data around the JSON object");
    let document: unknown;
    try {
        document = JSON.parse(line);
    } catch {
        fail(line, "not JSON");
    }
    if (!isObject(document)) fail(line, "not a JSON object");
    const aws = document._aws;
    if (!isObject(aws)) fail(line, "_aws is not an object");
    if (typeof aws.Timestamp !== "number" || !Number.isFinite(aws.Timestamp)) fail(line, "_aws.Timestamp not a number");
    if (!Array.isArray(aws.CloudWatchMetrics)) fail(line, "_aws.CloudWatchMetrics not an array");
    const metrics: ExtractedMetric[] = [];
    for (const directive of aws.CloudWatchMetrics as unknown[]) {
        if (!isObject(directive)) fail(line, "a MetricDirective is not an object");
        const { Namespace, Dimensions, Metrics } = directive;
        if (typeof Namespace !== "string" || Namespace === "") fail(line, "Namespace not a non-empty string");
        if (!Array.isArray(Dimensions)) fail(line, "Dimensions not an array");
        if (!Array.isArray(Metrics)) fail(line, "Metrics not an array");
        if (Metrics.length > MAX_METRICS_PER_DIRECTIVE) fail(line, "more than 100 MetricDefinitions");
        const sets: Array<Record<string, string>> = [];
        for (const set of Dimensions as unknown[]) {
            if (!Array.isArray(set)) fail(line, "a DimensionSet is not an array");
            if (set.length > MAX_DIMENSIONS_PER_SET) fail(line, "a DimensionSet of more than 30 dimensions");
            const values: Record<string, string> = {};
            for (const name of set as unknown[]) {
                if (typeof name !== "string") fail(line, "a dimension reference is not a string");
                if (typeof document[name] !== "string") fail(line, `dimension ${name} has no string root member`);
                values[name] = document[name] as string;
            }
            sets.push(values);
        }
        for (const definition of Metrics as unknown[]) {
            if (!isObject(definition) || typeof definition.Name !== "string") fail(line, "a MetricDefinition's Name");
            const { Name, Unit, StorageResolution } = definition;
            if (Unit !== undefined && !METRIC_DATUM_UNITS.includes(Unit as string)) fail(line, `${Name}: Unit ${Unit}`);
            if (StorageResolution !== undefined && StorageResolution !== 1 && StorageResolution !== 60)
                fail(line, `${Name}: StorageResolution`);
            const value = document[Name];
            const numeric =
                typeof value === "number" ||
                (Array.isArray(value) &&
                    value.length <= MAX_VALUES_PER_METRIC &&
                    value.every((item) => typeof item === "number"));
            if (!numeric) fail(line, `metric ${Name} has no numeric root member`);
            for (const dimensions of sets)
                metrics.push({
                    namespace: Namespace,
                    dimensions,
                    name: Name,
                    ...(Unit === undefined ? {} : { unit: Unit as string }),
                    value: value as number | number[],
                    document,
                });
        }
    }
    return { document, metrics };
}

/** Every metric in `lines` (the EMF ones; each must pass the specification), in order. */
export function extractMetrics(lines: readonly string[]): ExtractedMetric[] {
    return lines.filter(isEmfLine).flatMap((line) => parseEmf(line).metrics);
}
