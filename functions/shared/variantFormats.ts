// The one home of the format rules, "why is this AVIF URL WebP?": which formats a variant may be asked in, which
// originals keep their own format, and which format the Resizer (and ingest, for eager variants) encodes. The
// edge function gets its list of kept extensions from here (functions/edge/edgeFunction.ts); the encoders'
// settings are functions/resize/encoderSettings.ts's. The size bound is measured by bench/formatBench.ts (npm run
// bench), not copied. No sharp import: the stack, the edge code builder and local mode load this file.
import { IMAGE_EXTENSIONS } from "./imageTypes";

/** The formats a variant may be rendered in besides its original's own: "<W>x<H>/<format>/<original>" keys.
 *  Without the segment a variant keeps its original's format (the keys made before formats existed). In order of
 *  preference: AVIF (smallest) before WebP. */
export const VARIANT_FORMATS = ["avif", "webp"] as const;
export type VariantFormat = (typeof VARIANT_FORMATS)[number];

export function isVariantFormat(value: string): value is VariantFormat {
    return (VARIANT_FORMATS as readonly string[]).includes(value);
}

/** The format an original is in, as sharp's pipeline names it (pipelineFormat: jpeg, png, webp, gif, avif). */
export type SourceFormat = string;

/** Originals already in a variant format keep it in every variant: re-encoding AVIF into WebP or back gains little
 *  and loses quality twice. */
export function keepsItsFormat(original: SourceFormat): boolean {
    return isVariantFormat(original);
}

/** The extensions of the originals that keep their format (their keys' extensions: imageTypes' avif, webp): the
 *  edge leaves their URIs alone, since their plain variant is their only one. */
export const KEPT_EXTENSIONS: readonly string[] = VARIANT_FORMATS.map((format) => IMAGE_EXTENSIONS[`image/${format}`]);

/** The formats an original's format variants are made in, of the enabled ones: none for an original that keeps
 *  its format (its format keys would be the same bytes nobody asks for: the edge never rewrites its URI). */
export function formatsMadeFor(originalExtension: string, enabled: readonly VariantFormat[]): VariantFormat[] {
    return KEPT_EXTENSIONS.includes(originalExtension) ? [] : [...enabled];
}

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
 * - originals already AVIF or WebP keep their format (keepsItsFormat);
 * - animation becomes animated WebP: AVIF sequences are not made here (libheif encodes stills only);
 * - AVIF for a variant larger than avifMaxPixels is answered as WebP (its encode would make the first hit too slow);
 * - otherwise what was asked for.
 * The key may then say avif while the bytes are WebP: the object is stored with its true Content-Type.
 */
export function chooseOutputFormat(choice: FormatChoice): SourceFormat {
    const { requested, original } = choice;
    if (requested === undefined) return original;
    if (keepsItsFormat(original)) return original;
    if (choice.animated) return "webp";
    if (requested === "avif" && choice.outputPixels > choice.avifMaxPixels) return "webp";
    return requested;
}

/** The largest variant encoded as AVIF on a first hit: the largest default size, the largest measured within the
 *  first-hit target (bench/formatBench.ts); larger ones (allowAnyResolution) are answered as WebP. */
export const AVIF_MAX_PIXELS = 1280 * 720;
