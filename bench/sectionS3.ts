// A loopback S3 (s3rver itself, not its gate: the handlers' AWS path) for a bench section run alone
// (`npx ts-node -T bench/<section>.ts`); `npm run bench` starts its own in bench/run.ts.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { S3Client } from "@aws-sdk/client-s3";
import { createS3Client } from "../functions/shared/s3Client";
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalS3 } from "../local/s3/localS3";

export const SECTION_BUCKET = "bench";

/** Runs `section` against a fresh loopback S3 bucket, then removes it. */
export async function withSectionS3<T>(section: (s3: S3Client, bucket: string) => Promise<T>): Promise<T> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-s3-"));
    const server = await startLocalS3({
        directory: dataDir,
        bucket: SECTION_BUCKET,
        corsOrigins: ["http://localhost"],
        port: 0,
    });
    const s3 = createS3Client({ endpoint: server.backendUrl, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    try {
        return await section(s3, SECTION_BUCKET);
    } finally {
        s3.destroy();
        await server.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
}
