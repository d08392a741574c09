// When an original under uploads/ is replaced or deleted, its variants ("<W>x<H>/<original key>",
// functions/resize/variantKey.ts) go with it, so a stale resize is never served for the new image.
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { UPLOADS_PREFIX, VARIANT_PREFIX_PATTERN } from "../../functions/shared/bucketLayout";

/** The keys of every variant of originalKey: listed, then matched exactly (no prefix can select them all at once). */
export async function variantsOf(s3: S3Client, bucket: string, originalKey: string): Promise<string[]> {
    const found: string[] = [];
    let token: string | undefined;
    do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        for (const { Key } of page.Contents ?? []) {
            if (
                Key?.endsWith(`/${originalKey}`) &&
                VARIANT_PREFIX_PATTERN.test(Key.slice(0, Key.length - originalKey.length))
            )
                found.push(Key);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
}

/** Deletes the variants of originalKey when it is an original; does nothing for other keys. */
export async function deleteVariants(s3: S3Client, bucket: string, originalKey: string): Promise<string[]> {
    if (!originalKey.startsWith(UPLOADS_PREFIX)) return [];
    const keys = await variantsOf(s3, bucket, originalKey);
    for (let at = 0; at < keys.length; at += 1000) {
        await s3.send(
            new DeleteObjectsCommand({
                Bucket: bucket,
                Delete: { Objects: keys.slice(at, at + 1000).map((Key) => ({ Key })), Quiet: true },
            }),
        );
    }
    return keys;
}
