// What every stored object of an image carries as S3 metadata (one place for both kinds): its cache tag, so one
// `#<tag>` invalidation reaches all of it; and the version facts cleanup compares on an overwrite (the original's
// digest, each variant's source). S3 keeps at most 2 KB of user metadata per object
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html): these are under 400 bytes.
import { CACHE_TAG_METADATA, cacheTagOf } from "./cacheTag";
import { digestOf, MADE_FROM_METADATA, ORIGINAL_DIGEST_METADATA } from "./originalVersion";

/** The metadata ingest stores an original with. */
export function originalMetadata(originalKey: string, bytes: Uint8Array): Record<string, string> {
    return { ...tagMetadata(originalKey), [ORIGINAL_DIGEST_METADATA]: digestOf(bytes) };
}

/** What a variant was made from: its original's key and version (originalVersionOf). */
export interface VariantSource {
    originalKey: string;
    version: string;
}

/** The metadata a variant is stored with, eager or made on request alike. */
export function variantMetadata(source: VariantSource): Record<string, string> {
    return { ...tagMetadata(source.originalKey), [MADE_FROM_METADATA]: source.version };
}

function tagMetadata(originalKey: string): Record<string, string> {
    const tag = cacheTagOf(originalKey);
    return tag === undefined ? {} : { [CACHE_TAG_METADATA]: tag };
}
