// The encoder settings of every lossy variant format, chosen by measurement (npm run bench: sections "jpeg" and
// "formats", bench/jpegBench.ts and bench/formatBench.ts; the runs are in docs/benchmarks.md), not copied.
import type { AvifOptions, JpegOptions, WebpOptions } from "sharp";

/**
 * JPEG: sharp's prebuilt libvips links mozjpeg. Of its options, the quantisation tables pay: table 3 (N. Robidoux's,
 * ImageMagick's default in mozjpeg) gives the same SSIMULACRA2 as IJG's tables at the same quality in fewer bytes,
 * at no encode cost. Trellis quantisation and optimised progressive scans (sharp's `mozjpeg: true`) save a few per
 * cent more at equal score for 2-6x the encode time, which a first hit pays. Progressive (libjpeg's standard scan
 * script) is smaller from `progressiveFromPixels` on and lets browsers show the image early; below it, baseline is
 * smaller and faster.
 */
export const JPEG_ENCODER = { quantisationTable: 3, progressiveFromPixels: 640 * 480, qualityOffset: 0 } as const;

/**
 * AVIF: libaom with sharp's default 4:4:4 chroma; effort 1 of 0–9 below `fastFromPixels` (640x480), effort 0
 * (libaom's fastest) from it, where a first hit's encode outweighs its decode and resize: about twice as fast, for
 * a few per cent more bytes at equal score. Every first hit of the default sizes then stays within 3x today's JPEG
 * (bench/effortBench.ts, bench/formatBench.ts). Quality is resizeQuality moved by an offset, so the default (80)
 * lands on the median AVIF quality of equal SSIMULACRA2 with the JPEG q80 variants.
 */
export const AVIF_ENCODER = {
    effort: 1,
    fastEffort: 0,
    fastFromPixels: 640 * 480,
    chromaSubsampling: "4:4:4",
    qualityOffset: -16,
} as const;

/**
 * WebP: libwebp's default effort (method 4) below `fastFromPixels` (1280x720), method 2 from it, the one faster
 * method that keeps that first hit within 3x today's JPEG (method 3 is no faster than 4); it costs bytes there
 * (at equal score 1.06x today's JPEG instead of 0.90x). Quality offset as AVIF's.
 */
export const WEBP_ENCODER = { effort: 4, fastEffort: 2, fastFromPixels: 1280 * 720, qualityOffset: 6 } as const;

/** The format's quality for a resizeQuality (JPEG scale), within 1–100. */
export function encoderQuality(resizeQuality: number, offset: number): number {
    return Math.min(100, Math.max(1, Math.round(resizeQuality + offset)));
}

/** sharp's JPEG options for a variant of `pixels` pixels (one frame) at resizeQuality. */
export function jpegOptions(resizeQuality: number, pixels: number): JpegOptions {
    return {
        quality: encoderQuality(resizeQuality, JPEG_ENCODER.qualityOffset),
        quantisationTable: JPEG_ENCODER.quantisationTable,
        progressive: pixels >= JPEG_ENCODER.progressiveFromPixels,
    };
}

/** sharp's AVIF options for a variant of `pixels` pixels at resizeQuality. */
export function avifOptions(resizeQuality: number, pixels: number): AvifOptions {
    return {
        quality: encoderQuality(resizeQuality, AVIF_ENCODER.qualityOffset),
        effort: pixels >= AVIF_ENCODER.fastFromPixels ? AVIF_ENCODER.fastEffort : AVIF_ENCODER.effort,
        chromaSubsampling: AVIF_ENCODER.chromaSubsampling,
    };
}

/** sharp's WebP options for a variant of `pixels` pixels (one frame) at resizeQuality. */
export function webpOptions(resizeQuality: number, pixels: number): WebpOptions {
    return {
        quality: encoderQuality(resizeQuality, WEBP_ENCODER.qualityOffset),
        effort: pixels >= WEBP_ENCODER.fastFromPixels ? WEBP_ENCODER.fastEffort : WEBP_ENCODER.effort,
    };
}
