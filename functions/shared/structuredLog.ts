// The one seam every function, the container server and local mode log through: JSON lines made by Powertools for
// AWS Lambda's Logger (https://docs.aws.amazon.com/powertools/typescript/latest/core/logger/), written to a sink
// (stdout by default; local mode's output and the specs pass their own). One line per request or upload carries
// its upload id, key, outcome, HTTP status and milliseconds (./http.ts answerAndLog, the handlers' outcome lines).
//
// Loggers are made inside the handler factories, never at module load: the presign and cleanup closures are
// serialized (infra/builders/closureArchive.ts), and a Logger instance cannot be; the class itself is `require`d.
import { Logger } from "@aws-lambda-powertools/logger";
import { parseOriginalKey, parseStagingKey, STATUS_PREFIX, UPLOADS_PREFIX } from "./bucketLayout";

/** Where the lines go: one JSON document per call, no newline. */
export type LineSink = (line: string) => void;

/**
 * stdout itself, not `console`: with the JSON log format Lambda's Node.js runtime wraps what `console` prints in
 * a record of its own (the line would become a quoted `message`), while what reaches stdout as a JSON object is
 * taken as the record, its `level` key read for filtering
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html). The embedded metric
 * format lines must arrive whole for the same reason
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Libraries.html).
 */
export function stdoutLine(line: string): void {
    process.stdout.write(`${line}\n`);
}

/**
 * The application log levels the config may choose (Lambda's names). Not WARN or ERROR: Lambda gives a line
 * without a valid `level` the level INFO and drops it below the function's level
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html), and the metric
 * lines (./pipelineMetrics.ts) carry none, so every metric would be lost.
 */
export const LOG_LEVELS = ["TRACE", "DEBUG", "INFO"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One line's fields: its level and message, and any others (never a URL, signature or credential). */
export type LogFields = { level?: "debug" | "info" | "warn" | "error"; message?: string } & Record<string, unknown>;
export type Log = (fields: LogFields) => void;

export interface LogOptions {
    /** Where lines go; stdout when absent. */
    sink?: LineSink;
    /** The least level written; when absent, Lambda's (AWS_LAMBDA_LOG_LEVEL, from the function's loggingConfig),
     *  else POWERTOOLS_LOG_LEVEL (the container's environment), else INFO. */
    level?: LogLevel;
}

/** A log for `service` (ingest, resize, ...): each call writes one JSON line, `service` and a timestamp in it. */
export function createLog(service: string, options: LogOptions = {}): Log {
    const logger = new Logger({ serviceName: service, ...(options.level ? { logLevel: options.level } : {}) });
    const sink = options.sink ?? stdoutLine;
    const print = (line: string) => sink(line);
    // The Logger prints through its `console` (TypeScript-private; a plain property at run time): pointing it at
    // the sink keeps one writer for the function, local mode and the specs. Subclassing to override printLog is
    // not an option: a serialized closure turns `super(...)` into a call, which a class constructor refuses.
    (logger as unknown as { console: Record<string, LineSink> }).console = {
        trace: print,
        debug: print,
        info: print,
        warn: print,
        error: print,
        log: print,
    };
    return ({ level = "info", message = "event", ...fields }) => logger[level](message, fields);
}

/** The upload a key belongs to: its id from a staging, original, variant or status key; undefined otherwise. */
export function uploadIdOf(key: string | undefined): string | undefined {
    if (key === undefined) return undefined;
    if (key.startsWith(STATUS_PREFIX) && key.endsWith(".json")) return key.slice(STATUS_PREFIX.length, -".json".length);
    // A variant key ends in its original's key, whatever stands before it (size, format).
    const original = key.slice(Math.max(0, key.indexOf(UPLOADS_PREFIX)));
    return (parseOriginalKey(original) ?? parseStagingKey(key))?.id;
}
