import { S3Client } from "@aws-sdk/client-s3";

export interface S3ClientOptions {
    /** An S3-compatible endpoint (local mode, tests); path-style addressing is used with it. */
    endpoint?: string;
    region?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * The S3 client every handler uses. Checksums only WHEN_REQUIRED: by default SDK v3 would bake the CRC32 of an
 * empty body into every presigned PUT, and S3 then refuses any real file sent to that URL.
 */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
    return new S3Client({
        region: options.region ?? process.env.AWS_REGION ?? "us-east-1",
        endpoint: options.endpoint,
        forcePathStyle: options.endpoint !== undefined,
        credentials: options.credentials,
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
    });
}
