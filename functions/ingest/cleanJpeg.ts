// The JPEG original ingest stores: without private metadata, never more bytes than the upload, and baseline where
// re-encoding it pays (docs/benchmarks.md, npm run bench section "ingest").
import type { Metadata, Sharp } from "sharp";
import { estimateJpegQuality } from "./jpegQuality";
import { stripJpegMetadata } from "./jpegMarkers";
import { orientationExif } from "./minimalExif";
import { hasPrivateMetadata, readsBackClean } from "./privateMetadata";

/**
 * The highest quality a JPEG original is re-encoded at. A re-encode takes the upload's own quality (its
 * quantisation tables, jpegQuality.ts), capped here: q95 scores SSIMULACRA2 89-94 against camera uploads of q99
 * and halves their bytes; more would keep their sensor noise at twice the bytes.
 */
export const JPEG_REENCODE_QUALITY = 95;

export interface CleanJpeg {
    bytes: Buffer;
    /** false: the upload's entropy-coded data is stored unchanged (as it came, or only its metadata removed). */
    reencoded: boolean;
    /** true: metadata segments removed, pixel data copied unchanged (jpegMarkers.ts). */
    stripped: boolean;
}

/**
 * - Baseline: its metadata goes by marker surgery (jpegMarkers.ts), pixels bit-identical; an orientation other
 *   than 1 stays as a minimal EXIF block (minimalExif.ts), which every current browser and the Resizer apply.
 * - Progressive: every later resize decodes it 2-8x slower than a baseline file, so it is re-encoded as baseline
 *   at its own quality (at most JPEG_REENCODE_QUALITY) with IJG's tables, which requantises its coefficients to
 *   nearly the same values. When that is larger than the lossless strip, the strip is stored: an original never
 *   grows.
 * - A JPEG whose marker structure the strip cannot follow (bytes between segments) is stored as it came if sharp
 *   reports no metadata in it (as a progressive one, if its re-encode is not smaller), else re-encoded at its
 *   quality: its private metadata can go no other way, even if that costs bytes.
 * `decoder` decodes the upload (with the caller's pixel limit and failOn).
 */
export async function cleanJpeg(bytes: Buffer, metadata: Metadata, decoder: () => Sharp): Promise<CleanJpeg> {
    // What may be stored without a re-encode: the strip, or the upload itself when it has nothing to strip that
    // sharp reports (a structure the strip cannot follow).
    const lossless = (await verifiedStrip(bytes, metadata)) ?? (hasPrivateMetadata(metadata) ? undefined : bytes);
    const kept = (candidate: Buffer): CleanJpeg =>
        candidate.equals(bytes)
            ? { bytes, reencoded: false, stripped: false }
            : { bytes: candidate, reencoded: false, stripped: true };
    if (lossless && !metadata.isProgressive) return kept(lossless);
    const quality = Math.min(JPEG_REENCODE_QUALITY, estimateJpegQuality(bytes) ?? JPEG_REENCODE_QUALITY);
    const encoded = await decoder()
        .autoOrient()
        .keepIccProfile()
        .jpeg({
            quality,
            progressive: false,
            mozjpeg: false, // IJG's tables, the scale the quality estimate reads
            // An upload without chroma subsampling keeps its full colour resolution.
            chromaSubsampling: metadata.chromaSubsampling === "4:4:4" ? "4:4:4" : "4:2:0",
        })
        .toBuffer();
    if (lossless && lossless.length <= encoded.length) return kept(lossless);
    return { bytes: encoded, reencoded: true, stripped: false };
}

/** The JPEG without its metadata segments (an orientation other than 1 kept in a minimal EXIF block), if it reads
 *  back as the same image with nothing private left. */
async function verifiedStrip(bytes: Buffer, metadata: Metadata): Promise<Buffer | undefined> {
    const orientation = metadata.orientation ?? 1;
    const stripped = stripJpegMetadata(bytes, { orientation });
    const exif = orientation === 1 ? undefined : orientationExif(orientation);
    return stripped && (await readsBackClean(stripped, metadata, exif)) ? stripped : undefined;
}
