// The pipeline's metric lines, read as CloudWatch Logs reads them: every embedded metric format line the functions
// write must pass the specification (tests/support/emfDocument.ts,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
// `_aws.Timestamp`, `_aws.CloudWatchMetrics[0].Namespace` (the stack's), `Dimensions` (arrays of names, each a
// top-level key), `Metrics` (names and units from functions/shared/pipelineMetrics.ts), each value a top-level key.
// One case per outcome: ready, rejected, failed, a variant made in each format, cleanup's deletes and invalidations;
// each beside the outcome's one JSON log line (upload id, key, outcome, milliseconds).
import { expect } from "chai";
import { randomUUID } from "crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createIngestHandler } from "../../functions/ingest/ingest";
import { createIngestFailureHandler } from "../../functions/ingestFailure/ingestFailure";
import { INGEST_INVOCATION } from "../../functions/ingest/retryPolicy";
import { createResizeHandler } from "../../functions/resize/resize";
import { uploadKeys } from "../../functions/shared/bucketLayout";
import {
    createMetrics,
    FORMAT_DIMENSION,
    PIPELINE_METRICS,
    PipelineMetricName,
    SERVICE_DIMENSION,
} from "../../functions/shared/pipelineMetrics";
import { S3Event } from "../../functions/shared/s3Event";
import { asyncInvoker, sqsDestination } from "../../local/asyncInvoke";
import {
    cleanup,
    cloudfront,
    eventFor,
    image,
    logs as cleanupLogs,
    put,
    putOriginal,
    putVariant,
    useCleanupHarness,
} from "../support/cleanupHarness";
import { ExtractedMetric, extractMetrics, isEmfLine, parseEmf } from "../support/emfDocument";
import { httpEvent } from "../support/events";
import { jpegBytes } from "../support/images";
import {
    eventFor as ingestEventFor,
    ingest,
    logs as ingestLogs,
    s3 as ingestS3,
    settings as ingestSettings,
    useIngestHarness,
} from "../support/ingestHarness";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";
import { testResizeSettings } from "../support/resizeSettings";

const NAMESPACE = "image-pipeline/test";

/** The metrics of `lines` by name (each line checked against the specification), and every line's document. */
function metricsIn(lines: readonly string[]): Map<string, ExtractedMetric[]> {
    const byName = new Map<string, ExtractedMetric[]>();
    for (const metric of extractMetrics(lines)) byName.set(metric.name, [...(byName.get(metric.name) ?? []), metric]);
    return byName;
}

/** The one metric `name` in `lines`, with the table's unit, the stack's namespace and the `service` dimension. */
function theMetric(lines: readonly string[], name: PipelineMetricName, format?: string): ExtractedMetric {
    const found = (metricsIn(lines).get(name) ?? []).filter(
        (metric) => format === undefined || metric.dimensions[FORMAT_DIMENSION] === format,
    );
    expect(found, `${name}${format ? ` (${format})` : ""} in ${lines.join("\n")}`).to.have.length(1);
    const [metric] = found;
    expect(metric.namespace).to.equal(NAMESPACE);
    expect(metric.unit).to.equal(PIPELINE_METRICS[name].unit);
    const { service, byFormat } = { byFormat: false, ...PIPELINE_METRICS[name] };
    expect(metric.dimensions).to.deep.equal(
        byFormat ? { [SERVICE_DIMENSION]: service, [FORMAT_DIMENSION]: format } : { [SERVICE_DIMENSION]: service },
    );
    return metric;
}

/** The JSON log lines (not the metric lines) of `service` with `fields`. */
function logLines(lines: readonly string[], service: string, fields: Record<string, unknown>) {
    return lines
        .filter((line) => !isEmfLine(line))
        .map((line) => JSON.parse(line))
        .filter((line) => line.service === service && Object.entries(fields).every(([k, v]) => line[k] === v));
}

describe("EMF metric lines (functions/shared/pipelineMetrics.ts) as the CloudWatch embedded metric format specification reads them", () => {
    describe("the lines themselves", () => {
        it("one line per dimension set: _aws.Timestamp, Namespace, Dimensions naming top-level keys, Metrics with units, values at the top level", () => {
            const lines: string[] = [];
            const before = Date.now();
            const metrics = createMetrics(NAMESPACE, "resize", (line) => lines.push(line));
            metrics.add("OriginalReadMs", 12);
            metrics.add("ResizeMs", 34);
            metrics.add("VariantsMade", 1, "webp");
            metrics.flush({ uploadId: "an-id" });
            expect(lines).to.have.length(2);
            const [plain, byFormat] = lines.map((line) => parseEmf(line).document as Record<string, any>);
            for (const document of [plain, byFormat]) {
                expect(document._aws.Timestamp).to.be.within(before, Date.now());
                expect(document._aws.CloudWatchMetrics).to.have.length(1);
                expect(document._aws.CloudWatchMetrics[0].Namespace).to.equal(NAMESPACE);
            }
            expect(plain._aws.CloudWatchMetrics[0].Dimensions).to.deep.equal([["service"]]);
            expect(plain._aws.CloudWatchMetrics[0].Metrics).to.deep.equal([
                { Name: "OriginalReadMs", Unit: "Milliseconds" },
                { Name: "ResizeMs", Unit: "Milliseconds" },
            ]);
            // The upload id is a plain member, in every line, never a dimension (no series per upload).
            expect(plain).to.include({ service: "resize", OriginalReadMs: 12, ResizeMs: 34, uploadId: "an-id" });
            expect(byFormat._aws.CloudWatchMetrics[0].Dimensions).to.deep.equal([["service", "format"]]);
            expect(byFormat._aws.CloudWatchMetrics[0].Metrics).to.deep.equal([{ Name: "VariantsMade", Unit: "Count" }]);
            expect(byFormat).to.include({ service: "resize", format: "webp", VariantsMade: 1, uploadId: "an-id" });
        });

        it("every metric of the table serializes to a valid line with its unit; nothing recorded, no line", () => {
            for (const [name, metric] of Object.entries(PIPELINE_METRICS) as Array<
                [PipelineMetricName, (typeof PIPELINE_METRICS)[PipelineMetricName]]
            >) {
                const lines: string[] = [];
                const recorder = createMetrics(NAMESPACE, metric.service, (line) => lines.push(line));
                recorder.flush();
                expect(lines, "an empty flush").to.deep.equal([]);
                recorder.add(name, 7, "byFormat" in metric ? "avif" : undefined);
                recorder.flush();
                expect(theMetric(lines, name, "byFormat" in metric ? "avif" : undefined).value).to.equal(7);
                recorder.flush();
                expect(lines, "a flush forgets what it wrote").to.have.length(1);
            }
        });

        it("refuses a metric of another function, or a format where none belongs (the dashboard's dimensions stay true)", () => {
            const recorder = createMetrics(NAMESPACE, "ingest", () => undefined);
            expect(() => recorder.add("ResizeMs", 1)).to.throw("resize function's metric");
            expect(() => recorder.add("UploadsReady", 1, "webp")).to.throw("format dimension");
            expect(() => createMetrics(NAMESPACE, "resize", () => undefined).add("VariantsMade", 1)).to.throw(
                "format dimension",
            );
        });

        it("the reader refuses what CloudWatch refuses: a dimension or metric without its top-level key, a bad unit or timestamp", () => {
            const good = {
                _aws: {
                    Timestamp: 1,
                    CloudWatchMetrics: [{ Namespace: "n", Dimensions: [["service"]], Metrics: [{ Name: "M" }] }],
                },
                service: "s",
                M: 1,
            };
            expect(parseEmf(JSON.stringify(good)).metrics).to.have.length(1);
            const broken = (change: (document: any) => void) => {
                const document = structuredClone(good) as any;
                change(document);
                return () => parseEmf(JSON.stringify(document));
            };
            expect(broken((d) => delete d.service)).to.throw("dimension service");
            expect(broken((d) => (d.service = 3))).to.throw("dimension service");
            expect(broken((d) => delete d.M)).to.throw("metric M");
            expect(broken((d) => (d.M = "1"))).to.throw("metric M");
            expect(broken((d) => (d._aws.CloudWatchMetrics[0].Metrics[0].Unit = "Millis"))).to.throw("Unit");
            expect(broken((d) => delete d._aws.Timestamp)).to.throw("Timestamp");
            expect(broken((d) => (d._aws.CloudWatchMetrics[0].Dimensions = ["service"]))).to.throw("DimensionSet");
            expect(broken((d) => delete d._aws.CloudWatchMetrics[0].Namespace)).to.throw("Namespace");
        });
    });

    describe("ingest: uploads ready, rejected and failed", function () {
        this.timeout(30_000);
        useIngestHarness();

        it("ready: UploadsReady 1, IngestMs, IngestBytesIn (the upload) and IngestBytesOut (the stored original); one upload line", async () => {
            const upload = await jpegBytes(160, 120);
            const { keys, status } = await ingest(upload, "image/jpeg", "jpg");
            expect(status.status).to.equal("ready");
            expect(theMetric(ingestLogs, "UploadsReady").value).to.equal(1);
            expect(theMetric(ingestLogs, "UploadsReady").document.uploadId, "the line names its upload").to.equal(
                keys.id,
            );
            expect(theMetric(ingestLogs, "IngestMs").value).to.be.a("number").at.least(0);
            expect(theMetric(ingestLogs, "IngestBytesIn").value).to.equal(upload.length);
            expect(theMetric(ingestLogs, "IngestBytesOut").value).to.equal(status.bytes);
            expect(metricsIn(ingestLogs).has("UploadsRejected")).to.equal(false);
            const [line, ...more] = logLines(ingestLogs, "ingest", { message: "upload" });
            expect(more).to.deep.equal([]);
            expect(line).to.include({ level: "INFO", uploadId: keys.id, key: keys.finalKey, outcome: "ready" });
            expect(line.ms).to.equal(theMetric(ingestLogs, "IngestMs").value);
        });

        it("rejected: UploadsRejected 1, IngestBytesIn, no IngestBytesOut; one upload line with its code", async () => {
            const upload = Buffer.from("<html>not an image</html>");
            const { keys, status } = await ingest(upload, "image/jpeg", "jpg");
            expect(status.status).to.equal("rejected");
            expect(theMetric(ingestLogs, "UploadsRejected").value).to.equal(1);
            expect(theMetric(ingestLogs, "IngestBytesIn").value).to.equal(upload.length);
            expect(theMetric(ingestLogs, "IngestMs").value).to.be.a("number");
            expect(metricsIn(ingestLogs).has("IngestBytesOut")).to.equal(false);
            expect(metricsIn(ingestLogs).has("UploadsReady")).to.equal(false);
            const [line] = logLines(ingestLogs, "ingest", { message: "upload" });
            expect(line).to.include({ uploadId: keys.id, key: keys.finalKey, outcome: "rejected" });
            expect(line.code).to.be.a("string");
        });

        it("failed: every attempt fails, the failure consumer ends it — UploadsFailed 1 (service ingest-failure); each attempt's line names the upload", async () => {
            const keys = uploadKeys(randomUUID(), "jpg");
            await ingestS3.s3.send(
                new PutObjectCommand({
                    Bucket: TEST_BUCKET,
                    Key: keys.stagingKey,
                    Body: await jpegBytes(32, 24),
                    ContentType: "image/jpeg",
                }),
            );
            const lines: string[] = [];
            const failing = createIngestHandler({
                // Every write of the original fails, as an S3 fault would.
                s3: {
                    send: (command: { input: { Key?: string } }) =>
                        command.input.Key === keys.finalKey
                            ? Promise.reject(Object.assign(new Error("internal"), { name: "InternalError" }))
                            : ingestS3.s3.send(command as never),
                } as never,
                settings: ingestSettings(),
                log: (line) => lines.push(line),
            });
            await asyncInvoker<S3Event>({
                policy: { ...INGEST_INVOCATION, timeoutSeconds: 10 },
                functionArn: "arn:aws:lambda:us-east-1:123456789012:function:ingest",
                handler: failing,
                onFailure: sqsDestination(
                    createIngestFailureHandler({
                        s3: ingestS3.s3,
                        settings: { bucket: TEST_BUCKET, metricsNamespace: NAMESPACE },
                        log: (line) => lines.push(line),
                    }),
                ),
            })(ingestEventFor(keys.stagingKey));
            expect(theMetric(lines, "UploadsFailed").value).to.equal(1);
            expect(theMetric(lines, "UploadsFailed").document.uploadId).to.equal(keys.id);
            expect(metricsIn(lines).has("UploadsReady") || metricsIn(lines).has("UploadsRejected")).to.equal(false);
            const attempts = logLines(lines, "ingest", { outcome: "error" });
            expect(attempts).to.have.length(INGEST_INVOCATION.maximumRetryAttempts + 1);
            for (const attempt of attempts) {
                expect(attempt).to.include({ level: "ERROR", uploadId: keys.id, key: keys.stagingKey });
                expect(attempt.ms).to.be.a("number");
            }
            const [failed] = logLines(lines, "ingest-failure", { message: "upload" });
            expect(failed).to.include({ level: "ERROR", uploadId: keys.id, key: keys.finalKey, outcome: "failed" });
        });
    });

    describe("resize: a variant made, per format", function () {
        this.timeout(30_000);
        let s3: TestS3;
        let lines: string[];
        const PHOTO_ID = randomUUID();
        const resize = () =>
            createResizeHandler({
                s3: s3.s3,
                settings: testResizeSettings({ formats: ["avif", "webp"] }),
                log: (line) => lines.push(line),
            });

        before(async () => {
            s3 = await startTestS3();
            await s3.s3.send(
                new PutObjectCommand({
                    Bucket: TEST_BUCKET,
                    Key: `uploads/${PHOTO_ID}.jpg`,
                    Body: await jpegBytes(400, 300),
                    ContentType: "image/jpeg",
                }),
            );
        });
        after(() => s3.close());
        beforeEach(() => {
            lines = [];
        });

        for (const [path, format] of [
            [`/300x300/uploads/${PHOTO_ID}.jpg`, "jpeg"],
            [`/300x300/webp/uploads/${PHOTO_ID}.jpg`, "webp"],
            [`/300x300/avif/uploads/${PHOTO_ID}.jpg`, "avif"],
        ] as const) {
            it(`${path.replace(PHOTO_ID, "<id>")}: VariantsMade 1 with format ${format}, ResizeMs and OriginalReadMs; a second request (stored) makes none`, async () => {
                const first = await resize()(httpEvent("GET", path));
                expect(first.statusCode).to.equal(200);
                expect(theMetric(lines, "VariantsMade", format).value).to.equal(1);
                expect(theMetric(lines, "VariantsMade", format).document.uploadId).to.equal(PHOTO_ID);
                expect(theMetric(lines, "ResizeMs").value).to.be.a("number").at.least(0);
                expect(theMetric(lines, "OriginalReadMs").value).to.be.a("number").at.least(0);
                const [line] = logLines(lines, "resize", { message: "request" });
                expect(line).to.include({ status: 200, outcome: "ok", key: path.slice(1), resized: true });
                expect(line.uploadId).to.equal(PHOTO_ID);
                lines = [];
                expect((await resize()(httpEvent("GET", path))).statusCode).to.equal(200);
                expect(extractMetrics(lines), "a stored variant is no variant made").to.deep.equal([]);
                expect(logLines(lines, "resize", { message: "request" })[0]).to.include({ resized: false });
            });
        }
    });

    describe("cleanup: objects deleted and invalidations made", () => {
        useCleanupHarness();

        it("a removed original: ObjectsDeleted (its variants), InvalidationsMade 1; one cleanup line", async () => {
            const gone = image(["300x300", "640x480"]);
            for (const key of gone.variants) await putVariant(key, gone.finalKey, "sha256:old");
            await put(gone.statusKey);
            await cleanup()(eventFor(gone.finalKey, "ObjectRemoved:Delete"));
            expect(cloudfront.made).to.have.length(1);
            expect(theMetric(cleanupLogs, "ObjectsDeleted").value).to.equal(gone.variants.length);
            expect(theMetric(cleanupLogs, "InvalidationsMade").value).to.equal(1);
            expect(theMetric(cleanupLogs, "InvalidationsMade").document.uploadId).to.equal(gone.id);
            const [line] = logLines(cleanupLogs, "cleanup", { message: "cleanup" });
            expect(line).to.include({ uploadId: gone.id, key: gone.finalKey, outcome: "removed", invalidations: 1 });
            expect(line.ms).to.be.a("number");
        });

        it("an overwritten original: ObjectsDeleted (the variants of its other version only), InvalidationsMade 1", async () => {
            const overwritten = image(["300x300", "640x480"]);
            const current = await putOriginal(overwritten.finalKey);
            await putVariant(overwritten.variants[0], overwritten.finalKey, "sha256:old");
            await putVariant(overwritten.variants[1], overwritten.finalKey, current);
            await cleanup()(eventFor(overwritten.finalKey, "ObjectCreated:Put"));
            expect(theMetric(cleanupLogs, "ObjectsDeleted").value).to.equal(1);
            expect(theMetric(cleanupLogs, "InvalidationsMade").value).to.equal(1);
            const [line] = logLines(cleanupLogs, "cleanup", { message: "cleanup" });
            expect(line).to.include({ uploadId: overwritten.id, outcome: "overwritten", deleted: 1 });
        });
    });
});
