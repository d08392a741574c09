// Local mode on free ports with a throw-away data folder, as the e2e and browser specs use it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parsePipelineConfig } from "../../config/stackConfig";
import { LocalPipeline, startLocalPipeline } from "../../local/server";
import { devStackConfig } from "./program";

export async function startTestPipeline(
    overrides: Record<string, string> = {},
): Promise<LocalPipeline & { dataDir: string }> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-pipeline-local-"));
    const config = parsePipelineConfig(devStackConfig(overrides));
    const pipeline = await startLocalPipeline({ config, port: 0, s3Port: 0, dataDir });
    return {
        ...pipeline,
        dataDir,
        async close() {
            await pipeline.close();
            fs.rmSync(dataDir, { recursive: true, force: true });
        },
    };
}

/** Polls an upload's status URL until the status is final (ready, rejected or failed); answers the status.
 *  404 means its event has not been handled yet. Bounded by attempts, not by a clock. With jwtIssuer, pass the
 *  owner's Authorization header. */
export async function awaitChecked(statusUrl: string, headers: Record<string, string> = {}): Promise<any> {
    for (let attempt = 0; attempt < 1200; attempt++) {
        const response = await fetch(statusUrl, { headers });
        if (response.ok) {
            const status = (await response.json()) as { status?: string };
            if (status.status === "ready" || status.status === "rejected" || status.status === "failed") return status;
        } else if (response.status !== 404) {
            throw new Error(`status ${response.status}: ${await response.text()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the upload behind ${statusUrl} was never checked`);
}

/** Uploads `body` as the browser page does (POST /api/uploads, then PUT to the signed URL) and waits until the
 *  ingest function has decided; answers the signed upload and the final status. */
export async function uploadAndCheck(
    pipelineUrl: string,
    contentType: string,
    body: Buffer | string,
    request: Record<string, unknown> = {},
) {
    const response = await fetch(`${pipelineUrl}/api/uploads`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ contentType, ...request }),
    });
    const signed = (await response.json()) as {
        key: string;
        statusUrl: string;
        uploadUrl: string;
        headers: Record<string, string>;
    };
    const put = await fetch(signed.uploadUrl, { method: "PUT", headers: signed.headers, body });
    if (put.status !== 200) throw new Error(`PUT ${put.status}: ${await put.text()}`);
    return { signed, status: await awaitChecked(signed.statusUrl) };
}
