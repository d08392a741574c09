// The image work of the ingest function: every check an upload passes before anyone may fetch it, in order,
// stopping at the first failure, then the original as it will be stored (private metadata removed).
import sharp, { Metadata, Sharp } from "sharp";
import { pipelineFormat, totalPixels } from "../shared/imageMetadata";
import { ImageContentType } from "../shared/imageTypes";
import { cleanJpeg } from "./cleanJpeg";
import { gifIsComplete } from "./gifStructure";
import { jpegFrame, unsupportedJpegFeature } from "./jpegFrame";
import { sniffImageType } from "./magicBytes";
import { stripPngMetadata } from "./pngChunks";
import { stripWebpMetadata } from "./webpChunks";
import { hasPrivateMetadata, readsBackClean } from "./privateMetadata";

// Every upload arrives in a fresh buffer: libvips' operation cache would only hold memory.
sharp.cache(false);

/** Quality of a re-encoded WebP or AVIF original (only when private metadata had to go): it is the master. */
export const REENCODE_QUALITY = 90;

/** Why an upload is refused; the message is shown to the uploader (it never echoes the upload's bytes). */
export class UploadRefused extends Error {
    constructor(
        readonly code: string,
        message: string,
    ) {
        super(message);
        this.name = "UploadRefused";
    }
}

export interface CheckLimits {
    allowedContentTypes: readonly ImageContentType[];
    maxUploadBytes: number;
    limitInputPixels: number;
}

export interface CleanOriginal {
    bytes: Buffer;
    contentType: ImageContentType;
    format: string;
    /** As displayed (orientation applied). */
    width: number;
    height: number;
    /** false: the upload was already clean and is stored byte-identical, or only its metadata was removed. */
    reencoded: boolean;
    /** true: private metadata removed from a JPEG, PNG or WebP, its pixel data copied unchanged (cleanJpeg.ts,
     *  pngChunks.ts, webpChunks.ts). */
    stripped: boolean;
}

/** Refuses a size over the limit before a byte is read (the object's Content-Length). */
export function checkSize(size: number, maxUploadBytes: number): void {
    if (size > maxUploadBytes) {
        throw new UploadRefused("too_large", `The file is ${size} bytes; at most ${maxUploadBytes} are allowed`);
    }
}

/**
 * The checks after the size, in order: the first bytes are an allowed image type and the one the upload was
 * signed for (its Content-Type, and its key's extension); it is a kind of image libvips decodes (a 12-bit JPEG
 * is well formed, but not one); the header decodes; the pixels (all frames) are within the limit; the whole
 * image decodes (a truncated file is refused). Then the original to store.
 */
export async function checkAndClean(
    bytes: Buffer,
    declared: { contentType: string | undefined; keyType: ImageContentType | undefined },
    limits: CheckLimits,
): Promise<CleanOriginal> {
    checkSize(bytes.length, limits.maxUploadBytes);
    const sniffed = sniffImageType(bytes);
    if (!sniffed || !limits.allowedContentTypes.includes(sniffed)) {
        throw new UploadRefused(
            "not_an_allowed_image",
            `The file is not one of the allowed image types (${limits.allowedContentTypes.join(", ")})`,
        );
    }
    if (sniffed !== declared.contentType || sniffed !== declared.keyType) {
        throw new UploadRefused(
            "type_mismatch",
            `The file is ${sniffed} but was uploaded as ${declared.contentType ?? "no type"}`,
        );
    }
    const unsupported = sniffed === "image/jpeg" ? unsupportedImage(bytes) : undefined;
    if (unsupported) {
        throw new UploadRefused("unsupported_image", `The image is ${unsupported}, which this service cannot process`);
    }
    let metadata: Metadata;
    try {
        metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
    } catch {
        throw new UploadRefused("undecodable_header", "The image's header cannot be read");
    }
    const format = pipelineFormat(metadata);
    if (format?.contentType !== sniffed) {
        throw new UploadRefused("undecodable_header", `The image's header does not describe a ${sniffed} image`);
    }
    if (totalPixels(metadata) > limits.limitInputPixels) {
        throw new UploadRefused(
            "too_many_pixels",
            `The image has more than ${limits.limitInputPixels} pixels (all frames counted)`,
        );
    }
    const animated = (metadata.pages ?? 1) > 1;
    // failOn "error" implies "truncated": a file cut short, or with corrupt pixel data, is refused.
    const decoder = () => sharp(bytes, { animated, limitInputPixels: limits.limitInputPixels, failOn: "error" });
    const corrupt = () =>
        new UploadRefused("corrupt_image", "The image does not decode completely (truncated or corrupt)");
    // libvips decodes a GIF cut short without an error: its blocks must reach the trailer (gifStructure.ts).
    if (sniffed === "image/gif" && !gifIsComplete(bytes)) throw corrupt();
    try {
        // Decodes every pixel of every frame, keeping one byte per pixel (the first channel). Not stats(): its
        // extras (entropy, sharpness, dominant colour) decode the image several times, 1.8-15x slower (bench).
        await decoder().extractChannel(0).raw().toBuffer();
    } catch {
        throw corrupt();
    }
    const displayed = {
        width: metadata.autoOrient?.width ?? metadata.width ?? 0,
        height: animated
            ? (metadata.pageHeight ?? metadata.height ?? 0)
            : (metadata.autoOrient?.height ?? metadata.height ?? 0),
    };
    const common = { contentType: sniffed, format: format.format, ...displayed };
    // Also what sharp does not report: a JPEG comment, maker segments, data appended after the image.
    if (format.format === "jpeg") return { ...common, ...(await cleanJpeg(bytes, metadata, decoder)) };
    if (!hasPrivateMetadata(metadata)) return { ...common, bytes, reencoded: false, stripped: false };
    // A PNG or WebP loses its metadata chunks losslessly (pngChunks.ts, webpChunks.ts), unless it has an
    // orientation to apply: it is then re-encoded with the rotation applied.
    const stripChunks = STRIP_CHUNKS[format.format];
    const candidate = stripChunks && (metadata.orientation ?? 1) === 1 ? stripChunks(bytes) : undefined;
    const stripped = candidate && (await readsBackClean(candidate, metadata)) ? candidate : undefined;
    const asStripped = { ...common, bytes: stripped!, reencoded: false, stripped: true };
    // A WebP's re-encode would lose quality; a PNG's is lossless too, and often smaller (another zlib level
    // and filters than the upload's): the smaller of the two is stored, so a PNG never grows either.
    if (stripped && format.format !== "png") return asStripped;
    // Orientation is applied to the pixels (the tag goes with the rest of EXIF); the ICC profile stays.
    const pipeline = animated ? decoder() : decoder().autoOrient();
    const encoded = await encode(pipeline.keepIccProfile(), format.format).toBuffer();
    if (stripped && stripped.length <= encoded.length) return asStripped;
    return { ...common, bytes: encoded, reencoded: true, stripped: false };
}

/** The lossless metadata strips by format (JPEG's is in cleanJpeg.ts, with its re-encode rule). */
const STRIP_CHUNKS: Record<string, ((bytes: Buffer) => Buffer | undefined) | undefined> = {
    png: stripPngMetadata,
    webp: stripWebpMetadata,
};

/** What libvips cannot decode about a well-formed JPEG (its frame header, jpegFrame.ts); undefined if nothing. */
function unsupportedImage(bytes: Buffer): string | undefined {
    const frame = jpegFrame(bytes);
    return frame && unsupportedJpegFeature(frame);
}

function encode(pipeline: Sharp, format: string): Sharp {
    switch (format) {
        case "png":
            return pipeline.png({ compressionLevel: 6 });
        case "gif":
            return pipeline.gif();
        case "webp":
            return pipeline.webp({ quality: REENCODE_QUALITY });
        case "avif":
            return pipeline.avif({ quality: REENCODE_QUALITY });
        default:
            throw new Error(`no encoder for ${format}`);
    }
}
