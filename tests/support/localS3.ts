// A loopback S3 (s3rver behind the signature gate) in a temporary folder, started by each spec that needs it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GetObjectCommand, HeadObjectCommand, HeadObjectCommandOutput, S3Client } from "@aws-sdk/client-s3";
import { createS3Client } from "../../functions/shared/s3Client";
import { LOCAL_CREDENTIALS, LOCAL_REGION, LocalS3, startLocalS3 } from "../../local/s3/localS3";
import { ObjectCreatedNotification, ObjectNotification } from "../../local/s3/objectCreatedEvents";

export const TEST_BUCKET = "images-test";
export const TEST_ORIGIN = "http://localhost:3000";

export interface TestS3 {
    server: LocalS3;
    /** A client as the handlers get it: through the gate, checksums only when required. */
    s3: S3Client;
    /** A client straight to s3rver, behind the gate's back: to alter storage as no S3 request could (no variant cleanup). */
    backend: S3Client;
    /** s3rver's folder. */
    directory: string;
    head(key: string): Promise<HeadObjectCommandOutput | undefined>;
    /** The object's bytes through the gate; undefined when S3 answers NoSuchKey. */
    read(key: string): Promise<Buffer | undefined>;
    /** Makes a stored object look `seconds` old, as one written earlier would (s3rver's LastModified is its file's
     *  modification time): S3's LastModified counts whole seconds, so a spec cannot wait for "older". */
    ageObject(key: string, seconds: number): void;
    close(): Promise<void>;
}

export async function startTestS3(
    options: {
        now?: () => number;
        objectCreated?: ObjectCreatedNotification;
        notifications?: ObjectNotification[];
    } = {},
): Promise<TestS3> {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "image-pipeline-s3-"));
    const server = await startLocalS3({
        directory,
        bucket: TEST_BUCKET,
        corsOrigins: [TEST_ORIGIN],
        port: 0,
        now: options.now,
        objectCreated: options.objectCreated,
        notifications: options.notifications,
    });
    const s3 = createS3Client({ endpoint: server.url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const backend = createS3Client({
        endpoint: server.backendUrl,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
    });
    return {
        server,
        s3,
        backend,
        directory,
        async head(key) {
            try {
                return await s3.send(new HeadObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
            } catch (error) {
                if ((error as { name?: string }).name === "NotFound") return undefined;
                throw error;
            }
        },
        async read(key) {
            try {
                const object = await s3.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
                return Buffer.from(await object.Body!.transformToByteArray());
            } catch (error) {
                if ((error as { name?: string }).name === "NoSuchKey") return undefined;
                throw error;
            }
        },
        ageObject(key, seconds) {
            const file = path.join(directory, TEST_BUCKET, `${key}._S3rver_object`);
            const then = new Date(Date.now() - seconds * 1000);
            fs.utimesSync(file, then, then);
        },
        async close() {
            s3.destroy();
            backend.destroy();
            await server.close();
            fs.rmSync(directory, { recursive: true, force: true });
        },
    };
}

/** An S3 error answer's status and <Code>. */
export async function s3ErrorOf(
    response: Response,
): Promise<{ status: number; code: string | undefined; message: string | undefined }> {
    const text = await response.text();
    return {
        status: response.status,
        code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1],
        message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1],
    };
}
