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
