// Which version of an original a variant was made from, so cleanup deletes on an overwrite only the variants of
// another version, never those made from the current one. LastModified cannot tell: it counts whole seconds, and an
// original written again with the same bytes (a redelivered or retried ingest event) is newer than the eager
// variants its first write made. An ETag cannot either: under SSE-KMS it is no digest of the bytes
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html, ETag), so the same bytes written twice differ.
import { createHash } from "crypto";

/** Metadata of an original as ingest stores it: the SHA-256 of its bytes (S3 answers it as x-amz-meta-sha256). */
export const ORIGINAL_DIGEST_METADATA = "sha256";
/** Metadata of a variant: the version of the original it was made from (originalVersionOf). */
export const MADE_FROM_METADATA = "made-from";

/** The digest ingest records on the original it stores. */
export function digestOf(bytes: Uint8Array): string {
    return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * The version of an original as S3 describes it (GetObject, HeadObject): the digest ingest recorded; for an original
 * written by anyone else, its ETag (another write, another version, which is all cleanup needs of it). The same
 * bytes stored by ingest twice are one version.
 */
export function originalVersionOf(object: { Metadata?: Record<string, string>; ETag?: string }): string {
    const digest = object.Metadata?.[ORIGINAL_DIGEST_METADATA];
    return digest ?? `etag:${object.ETag ?? ""}`;
}
