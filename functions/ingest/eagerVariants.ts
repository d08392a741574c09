// Eager variants: the sizes of config eagerResolutions, in the original's format and each format the CDN sends
// (autoFormat), made at ingest from the clean original with the Resizer's own rendering and storing
// (renderVariant, putVariantCommand), so their first view is a cache hit.
import type { S3Client } from "@aws-sdk/client-s3";
import { renderVariant } from "../resize/renderVariant";
import { putVariantCommand } from "../resize/storeVariant";
import { formatVariantKey } from "../shared/bucketLayout";
import { digestOf } from "../shared/originalVersion";
import type { IngestSettings } from "./settings";

/** A variant that could not be made now: the Resizer makes it on its first request instead. */
export interface EagerFailure {
    key: string;
    error: string;
}

/**
 * Renders and stores each eager size in turn (one full decode at a time: memory stays that of one resize).
 * Never rejects: a size that fails is reported, not thrown, since the upload itself is good and the variant can
 * still be made on first request. Answers the keys stored and the failures.
 */
export async function makeEagerVariants(
    s3: S3Client,
    original: Buffer,
    finalKey: string,
    settings: IngestSettings,
): Promise<{ stored: string[]; failed: EagerFailure[] }> {
    const stored: string[] = [];
    const failed: EagerFailure[] = [];
    const eager = settings.eager;
    if (!eager) return { stored, failed };
    // Made from the original as ingest stores it: the version its digest metadata names (originalMetadata).
    const source = { originalKey: finalKey, version: digestOf(original) };
    // Each size in the original's format and in each format browsers are sent (autoFormat).
    const wanted = eager.resolutions.flatMap((size) =>
        [undefined, ...eager.formats].map((format) => ({ size, format })),
    );
    for (const { size, format } of wanted) {
        const key = formatVariantKey(size, format, finalKey);
        try {
            const [width, height] = size.split("x").map(Number);
            const rendered = await renderVariant(original, {
                width,
                height,
                fit: eager.fit,
                quality: eager.quality,
                limitInputPixels: settings.limitInputPixels,
                ...(format ? { format } : {}),
                // Made before any request, so no first hit waits for it: AVIF at every size.
                avifMaxPixels: Number.POSITIVE_INFINITY,
            });
            await s3.send(putVariantCommand(settings.bucket, key, rendered, source));
            stored.push(key);
        } catch (error) {
            failed.push({ key, error: String((error as Error)?.message ?? error).slice(0, 200) });
        }
    }
    return { stored, failed };
}
