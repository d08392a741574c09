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
