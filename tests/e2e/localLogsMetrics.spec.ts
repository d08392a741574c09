// Local mode (`npm start`, tests/support/localProcess.ts) prints what the stack writes to CloudWatch Logs: an upload
// prints one JSON line with its id and outcome, and its embedded metric format line, which must pass the
// specification (tests/support/emfDocument.ts,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html);
// a first CDN hit prints the Resizer's line and its VariantsMade line; no line carries a URL signature.
import { expect } from "chai";
import { parseOriginalKey } from "../../functions/shared/bucketLayout";
import { LOCAL_METRICS_NAMESPACE } from "../../local/server";
import { extractMetrics, isEmfLine } from "../support/emfDocument";
import { jpegBytes } from "../support/images";
import { uploadAndCheck } from "../support/localPipeline";
import { LocalProcess, startLocalProcess } from "../support/localProcess";

describe("local mode's output (npm start): the functions' JSON lines and metric lines on stdout", function () {
    this.timeout(120_000);
    let server: LocalProcess;
    before(async () => {
        server = await startLocalProcess();
    });
    after(() => server?.stop());

    /** The JSON lines printed so far (the banner and any plain text left out). */
    const jsonLines = () =>
        server
            .output()
            .split("\n")
            .filter((line) => line.startsWith("{"));
    /** Polls (bounded by attempts, not a clock) until `found` answers something from the lines. */
    const waitFor = async <T>(found: (lines: string[]) => T | undefined): Promise<T> => {
        for (let attempt = 0; attempt < 400; attempt++) {
            const answer = found(jsonLines());
            if (answer !== undefined) return answer;
            await new Promise((resolve) => setTimeout(resolve, 25));
        }
        throw new Error(`not printed:\n${server.output().slice(-3000)}`);
    };
    const logLinesOf = (lines: string[], fields: Record<string, unknown>) =>
        lines
            .filter((line) => !isEmfLine(line))
            .map((line) => JSON.parse(line))
            .filter((line) => Object.entries(fields).every(([key, value]) => line[key] === value));
    const metricsOf = (lines: string[], uploadId: string) =>
        extractMetrics(lines).filter((metric) => metric.document.uploadId === uploadId);

    it("a good upload: one ingest line with its id, key, outcome ready and ms, and its EMF line (UploadsReady, IngestMs, bytes)", async () => {
        const upload = await jpegBytes(120, 90);
        const { signed, status } = await uploadAndCheck(server.url, "image/jpeg", upload);
        expect(status.status).to.equal("ready");
        const id = parseOriginalKey(signed.key)!.id;
        const metrics = await waitFor((lines) => {
            const found = metricsOf(lines, id);
            return found.length > 0 ? found : undefined;
        });
        const [line, ...more] = logLinesOf(jsonLines(), { service: "ingest", message: "upload", uploadId: id });
        expect(more, "one line per upload").to.deep.equal([]);
        expect(line).to.include({ level: "INFO", key: signed.key, outcome: "ready", bytesIn: upload.length });
        expect(line.ms).to.be.a("number");
        expect(Object.fromEntries(metrics.map((metric) => [metric.name, metric.value]))).to.deep.equal({
            UploadsReady: 1,
            IngestMs: line.ms,
            IngestBytesIn: upload.length,
            IngestBytesOut: status.bytes,
        });
        for (const metric of metrics) {
            expect(metric.namespace).to.equal(LOCAL_METRICS_NAMESPACE);
            expect(metric.dimensions).to.deep.equal({ service: "ingest" });
        }
        // The upload API's request, as the presign function logs it: its id and key, status and ms.
        const [presign] = logLinesOf(jsonLines(), { service: "presign", message: "request", uploadId: id });
        expect(presign).to.include({ method: "POST", path: "/uploads", status: 200, outcome: "ok", key: signed.key });
    });

    it("a rejected upload: its ingest line says rejected with the code, and its EMF line UploadsRejected 1", async () => {
        const { signed, status } = await uploadAndCheck(server.url, "image/jpeg", "not a JPEG at all");
        expect(status.status).to.equal("rejected");
        const id = parseOriginalKey(signed.key)!.id;
        const metrics = await waitFor((lines) => {
            const found = metricsOf(lines, id);
            return found.length > 0 ? found : undefined;
        });
        expect(metrics.find((metric) => metric.name === "UploadsRejected")?.value).to.equal(1);
        expect(metrics.some((metric) => metric.name === "UploadsReady")).to.equal(false);
        const [line] = logLinesOf(jsonLines(), { service: "ingest", message: "upload", uploadId: id });
        expect(line).to.include({ outcome: "rejected", code: status.error.code });
    });

    it("a first CDN hit: the Resizer's line (id, key, 200, ms) and VariantsMade with its format; the CDN's request line names the upload", async () => {
        const { signed } = await uploadAndCheck(server.url, "image/jpeg", await jpegBytes(400, 300));
        const id = parseOriginalKey(signed.key)!.id;
        const variant = await fetch(`${server.url}/cdn/640x480/${signed.key}`, { headers: { accept: "image/webp" } });
        expect(variant.status).to.equal(200);
        const made = await waitFor((lines) =>
            metricsOf(lines, id).find(
                (metric) => metric.name === "VariantsMade" && metric.dimensions.format === "webp",
            ),
        );
        expect(made).to.include({ namespace: LOCAL_METRICS_NAMESPACE, unit: "Count", value: 1 });
        const [resize] = logLinesOf(jsonLines(), { service: "resize", message: "request", uploadId: id });
        expect(resize).to.include({ status: 200, outcome: "ok", key: `640x480/webp/${signed.key}`, resized: true });
        expect(resize.ms).to.be.a("number");
        // Written once the answer is sent: waited for.
        const access = await waitFor(
            (lines) => logLinesOf(lines, { service: "local", path: `/cdn/640x480/${signed.key}` })[0],
        );
        expect(access).to.include({ uploadId: id, status: 200 });
    });

    it("no line carries a URL, signature or credential", () => {
        const lines = jsonLines();
        expect(lines.length).to.be.greaterThan(10);
        for (const line of lines) expect(line).to.not.match(/X-Amz-Signature|X-Amz-Credential|Signature=|https?:\/\//i);
    });
});
