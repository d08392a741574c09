// The steps of a multipart upload against the local S3 (tests/e2e/localS3Multipart*.spec.ts), sent with the SDK
// as S3's clients send them, and how a refusal reads: its status and code, and S3's message where the code alone
// does not say which rule refused.
import {
    CompletedPart,
    CompleteMultipartUploadCommand,
    CreateMultipartUploadCommand,
    GetObjectCommand,
    UploadPartCommand,
} from "@aws-sdk/client-s3";
import { TEST_BUCKET, TestS3 } from "./localS3";

/** The steps against the server `current()` returns (started in a spec's `before`). */
export function multipartSteps(current: () => TestS3) {
    const create = async (key: string, contentType = "image/jpeg") =>
        (
            await current().s3.send(
                new CreateMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: key, ContentType: contentType }),
            )
        ).UploadId!;
    const part = async (key: string, uploadId: string, partNumber: number, body: Buffer) =>
        (
            await current().s3.send(
                new UploadPartCommand({
                    Bucket: TEST_BUCKET,
                    Key: key,
                    UploadId: uploadId,
                    PartNumber: partNumber,
                    Body: body,
                }),
            )
        ).ETag!;
    const complete = (key: string, uploadId: string, parts: CompletedPart[]) =>
        current().s3.send(
            new CompleteMultipartUploadCommand({
                Bucket: TEST_BUCKET,
                Key: key,
                UploadId: uploadId,
                MultipartUpload: { Parts: parts },
            }),
        );
    const read = async (key: string) => {
        const object = await current().s3.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
        return { bytes: Buffer.from(await object.Body!.transformToByteArray()), contentType: object.ContentType };
    };
    return { create, part, complete, read };
}

export async function failureOf(work: Promise<unknown>) {
    try {
        await work;
    } catch (error) {
        const e = error as { name: string; $metadata: { httpStatusCode?: number } };
        return { status: e.$metadata.httpStatusCode, code: e.name };
    }
    throw new Error("expected a refusal");
}

/** S3's message with the refusal, where the code alone does not say which rule refused. */
export async function refusalOf(work: Promise<unknown>) {
    try {
        await work;
    } catch (error) {
        const e = error as { name: string; message: string; $metadata: { httpStatusCode?: number } };
        return { status: e.$metadata.httpStatusCode, code: e.name, message: e.message };
    }
    throw new Error("expected a refusal");
}
