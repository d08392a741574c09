// How a variant is stored: one PutObject with its Content-Type, the one-year immutable Cache-Control and its image's
// metadata (cache tag, the original version it was made from), the same whoever makes it (the Resizer on a first
// request, ingest for the eager sizes), so the CDN serves both alike and cleanup tells them apart by version.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { IMMUTABLE_MAX_AGE_SECONDS } from "../shared/bucketLayout";
import { VariantSource, variantMetadata } from "../shared/imageObjectMetadata";
import type { RenderedVariant } from "./renderVariant";

export const VARIANT_CACHE_CONTROL = `public, max-age=${IMMUTABLE_MAX_AGE_SECONDS}, immutable`;

export function putVariantCommand(
    bucket: string,
    key: string,
    rendered: RenderedVariant,
    source: VariantSource,
): PutObjectCommand {
    return new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: rendered.bytes,
        ContentType: rendered.contentType,
        CacheControl: VARIANT_CACHE_CONTROL,
        Metadata: variantMetadata(source),
    });
}
