// The second line of defence: the status route (GET /uploads/<id>, functions/presign/uploadStatusRoute.ts) answers
// a status still pending after ingest's whole retry window as failed (processing_timeout), so no upload stays
// pending for ever even if the failure consumer never ran. The window is computed from the invoke config, one source.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
import { expect } from "chai";
import { randomUUID } from "crypto";
import { createPresignHandler } from "../../functions/presign/presign";
import { INGEST_INVOCATION, INGEST_RETRY_WINDOW_SECONDS } from "../../functions/ingest/retryPolicy";
import { LAMBDA_RETRY_DELAYS_SECONDS, retryWindowSeconds } from "../../functions/shared/asyncInvocation";
import { uploadKeys } from "../../functions/shared/bucketLayout";
import { putStatus } from "../../functions/shared/statusStore";
import { statusWithoutImage, UploadStatus } from "../../functions/shared/uploadStatus";
import { httpEvent } from "../support/events";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";

describe("the status route's second line of defence: pending past the retry window answers failed", () => {
    let s3: TestS3;
    before(async () => {
        s3 = await startTestS3();
    });
    after(() => s3.close());

    const statusAt = async (uuid: string, now: number) => {
        const handler = createPresignHandler({
            s3: s3.s3,
            now: () => now,
            log: () => undefined,
            settings: {
                bucket: TEST_BUCKET,
                allowedContentTypes: ["image/png"],
                maxUploadBytes: 1000,
                expiresIn: 60,
                cdnUrl: "https://cdn.example",
                requireAuth: false,
            },
        });
        const result = await handler(httpEvent("GET", `/uploads/${uuid}`));
        expect(result.statusCode).to.equal(200);
        return JSON.parse(result.body) as UploadStatus;
    };
    const stored = async (status: "pending" | "ready") => {
        const uuid = randomUUID();
        const keys = uploadKeys(uuid, "png");
        const body =
            status === "pending"
                ? statusWithoutImage("pending", keys.finalKey)
                : { ...statusWithoutImage("pending", keys.finalKey), status, width: 1, height: 1, bytes: 1 };
        await putStatus(s3.s3, TEST_BUCKET, keys.statusKey, body as UploadStatus);
        return { uuid, keys };
    };

    it("the window: every attempt to its timeout, Lambda's waits between them, the longest queueing (1,260 s for ingest)", () => {
        const { timeoutSeconds, maximumRetryAttempts, maximumEventAgeSeconds } = INGEST_INVOCATION;
        expect(LAMBDA_RETRY_DELAYS_SECONDS).to.deep.equal([60, 120]);
        expect(INGEST_RETRY_WINDOW_SECONDS).to.equal(
            timeoutSeconds * (maximumRetryAttempts + 1) + 60 + 120 + maximumEventAgeSeconds,
        );
        expect(INGEST_RETRY_WINDOW_SECONDS).to.equal(1260);
        expect(
            retryWindowSeconds({ timeoutSeconds: 10, maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 }),
        ).to.equal(70);
        expect(
            retryWindowSeconds({ timeoutSeconds: 10, maximumRetryAttempts: 1, maximumEventAgeSeconds: 60 }),
        ).to.equal(140);
    });

    it("a pending status within the window is answered as stored", async () => {
        const { uuid } = await stored("pending");
        const status = await statusAt(uuid, Date.now() + (INGEST_RETRY_WINDOW_SECONDS - 5) * 1000);
        expect(status.status).to.equal("pending");
        expect(status.error).to.equal(undefined);
    });

    it("a pending status older than the window is answered failed, processing_timeout, with its key", async () => {
        const { uuid, keys } = await stored("pending");
        const status = await statusAt(uuid, Date.now() + (INGEST_RETRY_WINDOW_SECONDS + 5) * 1000);
        expect(status).to.deep.include({ status: "failed", key: keys.finalKey, variants: [] });
        expect(status.error?.code).to.equal("processing_timeout");
        expect(status.error?.message).to.contain("21 minutes");
    });

    it("a final status never times out", async () => {
        const { uuid } = await stored("ready");
        expect((await statusAt(uuid, Date.now() + 10 * INGEST_RETRY_WINDOW_SECONDS * 1000)).status).to.equal("ready");
    });
});
