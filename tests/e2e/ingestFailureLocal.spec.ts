// Local mode closes the loop as the stack does (real `npm start`, tests/support/localProcess.ts): an upload whose
// original cannot be written, because the data folder refuses writes under uploads/, is retried as Lambda retries
// it, then the failure consumer ends it `failed` with a code and appends the event to upload-events.jsonl; it never
// stays pending, and the server stays up and serves the next upload once the folder takes writes again.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { UploadEvent } from "../../functions/ingest/uploadEvents";
import { parseOriginalKey } from "../../functions/shared/bucketLayout";
import { LOCAL_BUCKET } from "../../local/server";
import { uploadEventsFile } from "../../local/uploadEventLog";
import { jpegBytes } from "../support/images";
import { uploadAndCheck } from "../support/localPipeline";
import { LocalProcess, startLocalProcess } from "../support/localProcess";

describe("a failing ingest in local mode (npm start): retried, then failed and announced; the server stays up", function () {
    this.timeout(120_000);
    let server: LocalProcess;
    before(async () => {
        server = await startLocalProcess();
    });
    after(() => server?.stop());

    it("the original cannot be written (a file where the bucket's uploads/ folder would be): failed with a code, published, server up", async () => {
        // Tests run as root, which no file mode stops: s3rver keeps a key's objects under <data dir>/<bucket>/<key's
        // folders>, so a regular file named uploads makes every write under uploads/ fail (ENOTDIR), and only those.
        const blocker = path.join(server.dataDir, LOCAL_BUCKET, "uploads");
        fs.mkdirSync(path.dirname(blocker), { recursive: true });
        fs.writeFileSync(blocker, "not a folder");
        try {
            const { signed, status } = await uploadAndCheck(server.url, "image/jpeg", await jpegBytes(80, 60));
            expect(status.status, JSON.stringify(status)).to.equal("failed");
            expect(status.error.code).to.equal("processing_failed");
            expect(status.error.message).to.match(/3 attempts/);
            expect(status.key).to.equal(signed.key);
            const events: UploadEvent[] = fs
                .readFileSync(uploadEventsFile(server.dataDir), "utf8")
                .split("\n")
                .filter(Boolean)
                .map((line) => JSON.parse(line));
            const mine = events.filter((event) => JSON.parse(event.message).key === signed.key);
            expect(mine.map((event) => event.attributes)).to.deep.equal([{ status: "failed" }]);
            expect(JSON.parse(mine[0].message)).to.deep.equal(status);
            // Three attempts, as Lambda makes them, each logged as the upload's line; then the consumer's.
            const lines = server
                .output()
                .split("\n")
                .filter((line) => line.startsWith("{"))
                .map((line) => JSON.parse(line));
            const id = parseOriginalKey(signed.key)!.id;
            const attempts = lines.filter(
                (l) => l.service === "ingest" && l.level === "ERROR" && l.outcome === "error",
            );
            expect(attempts.map((l) => l.uploadId)).to.deep.equal([id, id, id]);
            expect(lines.filter((l) => l.service === "ingest-failure" && l.outcome === "failed")).to.have.length(1);
            expect(server.alive()).to.equal(true);
        } finally {
            fs.rmSync(blocker);
        }
        const next = await uploadAndCheck(server.url, "image/jpeg", await jpegBytes(80, 60));
        expect(next.status.status).to.equal("ready");
        expect(server.alive()).to.equal(true);
    });
});
