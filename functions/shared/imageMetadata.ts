// What sharp's metadata says about an image, read the same way by the Resizer and the ingest function.
import type { Metadata } from "sharp";
import { contentTypeForSharpFormat, ImageContentType } from "./imageTypes";

/** The pipeline's format of an image: sharp names AVIF "heif" (with AV1 compression); any other HEIF is not ours. */
export function pipelineFormat(metadata: Metadata): { format: string; contentType: ImageContentType } | undefined {
    const format = metadata.format === "heif" ? (metadata.compression === "av1" ? "avif" : undefined) : metadata.format;
    const contentType = format && contentTypeForSharpFormat(format);
    return format && contentType ? { format, contentType } : undefined;
}

/** Pixels decoded for the whole image: every frame counted (what limitInputPixels bounds). */
export function totalPixels(metadata: Metadata): number {
    const frames = metadata.pages ?? 1;
    const frameHeight = metadata.pageHeight ?? metadata.height ?? 0;
    return (metadata.width ?? 0) * frameHeight * frames;
}
