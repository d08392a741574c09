// Which format a variant is rendered in (its encoders' settings are in encoderSettings.ts). The size bound is
// measured by bench/formatBench.ts (npm run bench), not copied.
import type { VariantFormat } from "../shared/bucketLayout";

/** The format an original is in, as sharp's pipeline names it (pipelineFormat: jpeg, png, webp, gif, avif). */
export type SourceFormat = string;

export interface FormatChoice {
    /** What the variant asks for: a VariantFormat, or undefined for the original's own format. */
    requested: VariantFormat | undefined;
    original: SourceFormat;
    /** More than one frame (animated GIF or WebP). */
    animated: boolean;
    /** The variant's pixels (width x height of one frame). */
    outputPixels: number;
    /** Largest variant (pixels) encoded as AVIF on a request; larger ones are answered as WebP. */
    avifMaxPixels: number;
}

/**
 * The format to encode, by these rules, in order:
 * - no format asked for: the original's (today's keys, unchanged);
 * - originals already AVIF or WebP keep their format (re-encoding them into the other one gains little and loses
 *   quality twice);
 * - animation becomes animated WebP: AVIF sequences are not made here (libheif encodes stills only);
 * - AVIF for a variant larger than avifMaxPixels is answered as WebP (its encode would make the first hit too slow);
 * - otherwise what was asked for.
 * The key may then say avif while the bytes are WebP: the object is stored with its true Content-Type.
 */
export function chooseOutputFormat(choice: FormatChoice): SourceFormat {
    const { requested, original } = choice;
    if (requested === undefined) return original;
    if (original === "avif" || original === "webp") return original;
    if (choice.animated) return "webp";
    if (requested === "avif" && choice.outputPixels > choice.avifMaxPixels) return "webp";
    return requested;
}

/** The largest variant encoded as AVIF on a first hit: the largest default size, the largest measured within the
 *  first-hit target (bench/formatBench.ts); larger ones (allowAnyResolution) are answered as WebP. */
export const AVIF_MAX_PIXELS = 1280 * 720;
