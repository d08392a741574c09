// The Resizer's container server (functions/resize/container.ts → server.ts) as a process, the way the container
// runs it: started with node, resizing against the loopback S3, and stopped with SIGTERM while a resize is in flight.
import { expect } from "chai";
import { extractMetrics } from "../support/emfDocument";
import * as http from "http";
import { AddressInfo } from "net";
import sharp from "sharp";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { ResizeSettings } from "../../functions/resize/settings";
import { HEALTH_PATH } from "../../functions/resize/server";
import { MAX_INLINE_BASE64_BYTES } from "../../functions/resize/resize";
import { jpegBytes } from "../support/images";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";
import { ContainerProcess, startContainer } from "../support/resizeContainer";

interface Answer {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
}

/** One request on a connection of its own (no pooled keep-alive connection that could hide a closed listener). */
function request(port: number, method: string, path: string, body?: Buffer): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method, path, agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () =>
                resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
            );
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end(body);
    });
}

/**
 * A pass-through in front of the loopback S3 that holds every request for a key containing "slow" until
 * released, so a resize can be caught mid-flight without timing anything. Headers go through unchanged (the
 * signature covers host).
 */
async function holdingProxy(target: string) {
    const held: Array<() => void> = [];
    let heldSignal: (() => void) | undefined;
    const firstHeld = new Promise<void>((resolve) => {
        heldSignal = resolve;
    });
    const targetUrl = new URL(target);
    const server = http.createServer((req, res) => {
        const forward = () => {
            const upstream = http.request(
                {
                    host: targetUrl.hostname,
                    port: targetUrl.port,
                    method: req.method,
                    path: req.url,
                    headers: req.headers,
                },
                (answer) => {
                    res.writeHead(answer.statusCode!, answer.headers);
                    answer.pipe(res);
                },
            );
            upstream.on("error", () => res.destroy());
            req.pipe(upstream);
        };
        if (req.method === "GET" && /uploads\/slow/.test(req.url ?? "")) {
            held.push(forward);
            heldSignal?.();
        } else forward();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        firstHeld,
        release: () => {
            for (const forward of held.splice(0)) forward();
        },
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}

const waitFor = (condition: () => boolean): Promise<void> =>
    new Promise((resolve) => {
        const check = () => (condition() ? resolve() : setTimeout(check, 20));
        check();
    });

describe("the Resizer's container server as a process (functions/resize/container.ts)", () => {
    let s3: TestS3;
    const settings = (overrides: Partial<ResizeSettings> = {}): ResizeSettings => ({
        bucket: TEST_BUCKET,
        metricsNamespace: "image-pipeline/test",
        uploadPrefix: "uploads/",
        allowedResolutions: ["300x300", "640x480"],
        maxDimension: 2048,
        fit: "cover",
        gravity: "centre",
        quality: 80,
        limitInputPixels: 50_000_000,
        ...overrides,
    });
    const store = (key: string, body: Buffer, contentType: string) =>
        s3.s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key, Body: body, ContentType: contentType }));

    before(async () => {
        s3 = await startTestS3();
        await store("uploads/photo.jpg", await jpegBytes(800, 600), "image/jpeg");
        await store("uploads/slow.jpg", await jpegBytes(800, 600), "image/jpeg");
    });
    after(() => s3.close());

    describe("serving", () => {
        let container: ContainerProcess;
        before(async () => {
            container = await startContainer(settings({ allowedResolutions: [] }), s3.server.url);
        });
        after(async () => {
            container.child.kill("SIGTERM");
            await container.exit;
        });

        it(`answers the target group's health check on ${HEALTH_PATH} with 200`, async () => {
            const answer = await request(container.port, "GET", HEALTH_PATH);
            expect(answer.status).to.equal(200);
            expect(JSON.parse(answer.body.toString())).to.deep.equal({ status: "ok" });
        });

        it("resizes through the same handler as Lambda: the variant answered, stored, and logged as a JSON line", async () => {
            const answer = await request(container.port, "GET", "/300x300/uploads/photo.jpg");
            expect(answer.status, answer.body.toString().slice(0, 200)).to.equal(200);
            expect(answer.headers["content-type"]).to.equal("image/jpeg");
            expect(answer.headers["x-variant"]).to.equal("resized");
            const metadata = await sharp(answer.body).metadata();
            expect([metadata.width, metadata.height]).to.deep.equal([300, 300]);
            expect((await s3.head("300x300/uploads/photo.jpg"))?.ContentLength).to.equal(answer.body.length);
            // The same lines as the Lambda's, on stdout: the request's, and the metric line of the variant it made.
            const lines = () =>
                container
                    .output()
                    .split("\n")
                    .filter((l) => l.startsWith("{"))
                    .map((l) => JSON.parse(l));
            await waitFor(() => lines().some((l) => l.path === "/300x300/uploads/photo.jpg" && l.status === 200));
            const line = lines().find((l) => l.path === "/300x300/uploads/photo.jpg");
            expect(line).to.include({ level: "INFO", service: "resize", method: "GET", status: 200, resized: true });
            expect(line.ms).to.be.a("number");
            await waitFor(() => lines().some((l) => l._aws && "VariantsMade" in l));
            const emf = lines().find((l) => l._aws && "VariantsMade" in l);
            expect(emf._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name)).to.include(
                "VariantsMade",
            );
            expect(emf).to.include({ service: "resize", format: "jpeg", VariantsMade: 1 });
            // Every metric line as CloudWatch reads it (tests/support/emfDocument.ts).
            const metrics = extractMetrics(container.output().split("\n"));
            expect(metrics.map((metric) => metric.name)).to.include.members([
                "VariantsMade",
                "ResizeMs",
                "OriginalReadMs",
            ]);
            expect(metrics.every((metric) => metric.namespace === "image-pipeline/test")).to.equal(true);
        });

        it("answers a variant larger than Lambda's 6 MB directly (200 with the bytes, no redirect)", async () => {
            const noisy = await sharp({
                create: {
                    width: 2048,
                    height: 2048,
                    channels: 3,
                    background: "#000",
                    noise: { type: "gaussian", mean: 128, sigma: 60 },
                },
            })
                .png()
                .toBuffer();
            await store("uploads/noise.png", noisy, "image/png");
            const answer = await request(container.port, "GET", "/2048x2048/uploads/noise.png");
            expect(answer.status).to.equal(200);
            expect(answer.headers.location).to.equal(undefined);
            expect(Buffer.from(answer.body).toString("base64").length).to.be.greaterThan(MAX_INLINE_BASE64_BYTES);
            expect((await sharp(answer.body).metadata()).width).to.equal(2048);
        });

        it("answers bad requests with the handler's JSON errors and stays up", async () => {
            const bad = await request(container.port, "GET", "/4000x300/uploads/photo.jpg?x=<script>");
            expect([bad.status, JSON.parse(bad.body.toString()).error.code]).to.deep.equal([403, "size_not_allowed"]);
            const missing = await request(container.port, "GET", "/300x300/uploads/nobody.jpg");
            expect([missing.status, JSON.parse(missing.body.toString()).error.code]).to.deep.equal([
                404,
                "original_not_found",
            ]);
            const big = await request(container.port, "POST", "/300x300/uploads/photo.jpg", Buffer.alloc(100_000));
            expect([big.status, JSON.parse(big.body.toString()).error.code]).to.deep.equal([413, "body_too_large"]);
            // Refused before the handler, yet logged as every request is.
            await waitFor(() => /"status":413,"outcome":"body_too_large","ms":\d+/.test(container.output()));
            const head = await request(container.port, "HEAD", "/300x300/uploads/photo.jpg");
            expect([head.status, head.body.length, head.headers["content-type"]]).to.deep.equal([200, 0, "image/jpeg"]);
            expect((await request(container.port, "GET", HEALTH_PATH)).status).to.equal(200);
        });
    });

    describe("SIGTERM", () => {
        it("stops accepting connections, finishes the resize in flight, then exits 0", async () => {
            const proxy = await holdingProxy(s3.server.url);
            const container = await startContainer(settings(), proxy.url);
            try {
                const inFlight = request(container.port, "GET", "/300x300/uploads/slow.jpg");
                await proxy.firstHeld; // the resize is now waiting for its original
                container.child.kill("SIGTERM");
                await waitFor(() => /"message":"draining",.*"inFlight":1/.test(container.output()));
                const refused = await request(container.port, "GET", HEALTH_PATH).then(
                    () => undefined,
                    (error: NodeJS.ErrnoException) => error.code,
                );
                expect(refused).to.equal("ECONNREFUSED");

                proxy.release();
                const answer = await inFlight;
                expect(answer.status, answer.body.toString().slice(0, 200)).to.equal(200);
                expect(answer.headers.connection).to.equal("close");
                const metadata = await sharp(answer.body).metadata();
                expect([metadata.width, metadata.height]).to.deep.equal([300, 300]);
                expect(await container.exit).to.equal(0);
                expect(await s3.head("300x300/uploads/slow.jpg")).to.not.equal(undefined);
            } finally {
                container.child.kill("SIGKILL");
                await proxy.close();
            }
        });
    });
});
