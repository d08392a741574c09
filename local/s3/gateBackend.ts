// The gate's own requests to s3rver, straight to its port and signed as the SDK signs: whether an object or a
// bucket exists, and the CORS rules a preflight is answered from.
import { HeadBucketCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createS3Client } from "../../functions/shared/s3Client";
import { LocalCredentials } from "./sigv4Verify";

export function backendClient(backendPort: number, region: string, credentials: LocalCredentials): S3Client {
    return createS3Client({ endpoint: `http://127.0.0.1:${backendPort}`, region, credentials });
}

const isNotFound = (error: unknown) =>
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

export async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
    try {
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
    } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
    }
}

export async function bucketExists(s3: S3Client, bucket: string): Promise<boolean> {
    try {
        await s3.send(new HeadBucketCommand({ Bucket: bucket }));
        return true;
    } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
    }
}
