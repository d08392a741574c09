// Eager variants: the sizes of config eagerResolutions, in the original's format and each format the CDN sends
// (autoFormat), made at ingest from the clean original with the Resizer's own rendering and storing
// (renderVariant, putVariantCommand), so their first view is a cache hit; as many as the time budget allows.
import { performance } from "perf_hooks";
import type { S3Client } from "@aws-sdk/client-s3";
import { renderVariant } from "../resize/renderVariant";
import { putVariantCommand } from "../resize/storeVariant";
import { formatVariantKey } from "../shared/bucketLayout";
import { formatsMadeFor } from "../shared/variantFormats";
import { digestOf } from "../shared/originalVersion";
import type { IngestSettings } from "./settings";
import type { FocalPoint } from "../shared/focalPoint";
import { TimeBudget, UNLIMITED } from "./timeBudget";

/** A variant that could not be made now: the Resizer makes it on its first request instead. */
export interface EagerFailure {
    key: string;
    error: string;
}

export interface EagerOutcome {
    stored: string[];
    failed: EagerFailure[];
    /** Not made for want of time (the budget): the Resizer makes them on their first request. */
    deferred: string[];
}

/**
 * Renders and stores each eager size in turn, in the order of eagerResolutions (one full decode at a time: memory
 * stays that of one resize), while the budget has time for one more: the slowest step so far, at first
 * `firstEstimateMs` (the check's full decode of the same original). Never rejects: a size that fails is
 * reported, not thrown, since the upload itself is good and the variant can still be made on first request.
 */
export async function makeEagerVariants(
    s3: S3Client,
    original: Buffer,
    finalKey: string,
    settings: IngestSettings,
    budget: { budget: TimeBudget; firstEstimateMs: number } = { budget: UNLIMITED, firstEstimateMs: 0 },
    focus?: FocalPoint,
): Promise<EagerOutcome> {
    const stored: string[] = [];
    const failed: EagerFailure[] = [];
    const deferred: string[] = [];
    const eager = settings.eager;
    if (!eager) return { stored, failed, deferred };
    // Made from the original as ingest stores it: the version its digest metadata names (originalMetadata).
    const source = { originalKey: finalKey, version: digestOf(original) };
    // Each size in the original's format and in each format browsers are sent (autoFormat), but for an original
    // that keeps its format (functions/shared/variantFormats.ts): its plain variant is its only one.
    const formats = formatsMadeFor(finalKey.slice(finalKey.lastIndexOf(".") + 1), eager.formats);
    const wanted = eager.resolutions.flatMap((size) => [undefined, ...formats].map((format) => ({ size, format })));
    let slowestMs = budget.firstEstimateMs;
    for (const { size, format } of wanted) {
        const key = formatVariantKey(size, format, finalKey);
        if (deferred.length > 0 || !budget.budget.allowsAnother(slowestMs)) {
            deferred.push(key);
            continue;
        }
        const started = performance.now();
        try {
            const [width, height] = size.split("x").map(Number);
            const rendered = await renderVariant(original, {
                width,
                height,
                fit: eager.fit,
                gravity: eager.gravity,
                ...(focus ? { focus } : {}),
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
        slowestMs = Math.max(slowestMs, performance.now() - started);
    }
    return { stored, failed, deferred };
}
