// Which format a variant is rendered in, and the encoder settings of AVIF and WebP. The numbers are measured by
// bench/formatBench.ts (npm run bench: quality matched to today's JPEG output at equal SSIMULACRA2), not copied.
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

/**
 * AVIF: libaom at effort 1 of 0–9 with sharp's default 4:4:4 chroma (README "Resizing" has bench/formatBench.ts's
 * figures: effort 1 makes the same bytes at equal score as effort 2 in half the time at 1280x720, which keeps a
 * first hit of every default size within 3x today's; effort 3 and 4 save bytes at a first-hit cost; 4:2:0 saves
 * little time and, on textured photos, no bytes at equal score). Its quality is resizeQuality moved by an offset,
 * so the default (80, today's JPEG) lands on the median AVIF quality of equal SSIMULACRA2.
 */
export const AVIF_ENCODER = { effort: 1, chromaSubsampling: "4:4:4", qualityOffset: -16 } as const;
/** WebP: libwebp's default effort (4); quality offset as for AVIF. */
export const WEBP_ENCODER = { effort: 4, qualityOffset: 6 } as const;
/** The largest variant encoded as AVIF on a first hit: the largest default size, the largest measured within the
 *  first-hit target (bench/formatBench.ts); larger ones (allowAnyResolution) are answered as WebP. */
export const AVIF_MAX_PIXELS = 1280 * 720;

/** The format's quality for a resizeQuality (JPEG scale), within 1–100. */
export function encoderQuality(resizeQuality: number, offset: number): number {
    return Math.min(100, Math.max(1, Math.round(resizeQuality + offset)));
}
