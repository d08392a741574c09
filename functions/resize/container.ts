// The Resizer's container entry point (functions/resize/Dockerfile): the Lambda handler behind the HTTP server of
// ./server.ts. Logs are JSON lines on stdout, which the task's awslogs driver sends to CloudWatch Logs.
import { createResizeHandler } from "./resize";
import { createResizeServer } from "./server";
import { decodeResizeServerPort, decodeResizeSettings } from "./settings";
import { createS3Client } from "../shared/s3Client";
import { createLog } from "../shared/structuredLog";

const s3 = createS3Client({ endpoint: process.env.S3_ENDPOINT });
// No 6 MB answer limit behind an ALB: large variants are answered directly, never redirected.
const handler = createResizeHandler({
    s3,
    settings: decodeResizeSettings(process.env),
    maxInlineBase64Bytes: Infinity,
});
const resizeServer = createResizeServer({ handler });
// Lines on stdout (the awslogs driver); the level from POWERTOOLS_LOG_LEVEL (the task's environment).
const log = createLog("resize-server");
const { server } = resizeServer;

server.on("error", (error) => {
    log({ level: "error", message: "server failed", error: String(error.message).slice(0, 300) });
    process.exit(1);
});
// 0.0.0.0: the ALB reaches the task on its ENI address (awsvpc network mode), not on loopback.
server.listen(decodeResizeServerPort(process.env), "0.0.0.0", () => {
    const address = server.address();
    log({ level: "info", message: "listening", port: typeof address === "object" ? address?.port : address });
});

// ECS stops a task with SIGTERM (docker stop; Ctrl-C locally is SIGINT): finish what is in flight, then exit.
let stopping = false;
const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log({ level: "info", message: "stopping", signal });
    resizeServer
        .shutdown()
        .then(() => {
            s3.destroy();
            log({ level: "info", message: "stopped" });
            process.exit(0);
        })
        .catch((error) => {
            log({ level: "error", message: "could not stop cleanly", error: String(error).slice(0, 300) });
            process.exit(1);
        });
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
