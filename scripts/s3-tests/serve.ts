// Starts the local S3 for Ceph's s3-tests: "gate" (s3rver behind local/s3/s3Gate.ts, as local mode runs it) or
// "bare" (s3rver alone), on a free loopback port, in a temporary folder. Prints the port, runs until stdin closes.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import S3rver from "s3rver";
import { AddressInfo } from "net";
import { startLocalS3 } from "../../local/s3/localS3";

async function main(): Promise<void> {
    const mode = process.argv[2];
    if (mode !== "gate" && mode !== "bare") throw new Error("usage: serve.ts gate|bare");
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "s3-tests-"));
    let close: () => Promise<void>;
    let port: number;
    if (mode === "gate") {
        // The suite signs every POST form with SigV2, which only buckets created before June 2020 accept.
        const s3 = await startLocalS3({
            directory,
            bucket: "s3-tests-seed",
            corsOrigins: [],
            port: 0,
            acceptSigV2Post: true,
        });
        [port, close] = [s3.port, () => s3.close()];
    } else {
        const bare = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, vhostBuckets: false });
        port = ((await bare.run()) as AddressInfo).port;
        close = () => bare.close();
    }
    process.stdout.write(`${port}\n`);
    process.stdin.resume();
    process.stdin.on("end", () => {
        void close().finally(() => {
            fs.rmSync(directory, { recursive: true, force: true });
            process.exit(0);
        });
    });
}

main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
});
