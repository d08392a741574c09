// How a variant is stored: one PutObject with its Content-Type and the one-year immutable Cache-Control, the same
// whoever makes it (the Resizer on a first request, ingest for the eager sizes), so the CDN serves both alike.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { IMMUTABLE_MAX_AGE_SECONDS } from "../shared/bucketLayout";
import type { RenderedVariant } from "./renderVariant";

export const VARIANT_CACHE_CONTROL = `public, max-age=${IMMUTABLE_MAX_AGE_SECONDS}, immutable`;

export function putVariantCommand(bucket: string, key: string, rendered: RenderedVariant): PutObjectCommand {
    return new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: rendered.bytes,
        ContentType: rendered.contentType,
        CacheControl: VARIANT_CACHE_CONTROL,
    });
}
