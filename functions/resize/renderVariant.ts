// The image work of the Resizer: one original in, one variant out, with sharp (libvips).
import sharp, { Metadata } from "sharp";
import { HttpError } from "../shared/http";
import { IMAGE_CONTENT_TYPES, ImageContentType } from "../shared/imageTypes";
import { pipelineFormat, totalPixels } from "../shared/imageMetadata";

import type { ResizeFit } from "./settings";

export interface RenderOptions {
    width: number;
    height: number;
    fit: ResizeFit;
    /** 1–100, for JPEG, WebP and AVIF. */
    quality: number;
    /** Largest original decoded, in pixels summed over all frames. */
    limitInputPixels: number;
}

export interface RenderedVariant {
    bytes: Buffer;
    contentType: ImageContentType;
    width: number;
    height: number;
}

// Every original arrives in a fresh buffer, so libvips' operation cache would never hit: it would only hold memory.
sharp.cache(false);

const ANIMATABLE = new Set(["gif", "webp"]);

/**
 * The output box, never larger than the original (as displayed, EXIF orientation applied). cover and contain
 * make exactly the requested aspect ratio, so their box shrinks as a whole until it fits the original;
 * inside keeps the original's aspect ratio and never enlarges it.
 */
export function targetBox(
    original: { width: number; height: number },
    requested: { width: number; height: number },
    fit: ResizeFit,
) {
    if (fit === "inside") return { ...requested, withoutEnlargement: true };
    const scale = Math.min(1, original.width / requested.width, original.height / requested.height);
    return {
        width: Math.max(1, Math.round(requested.width * scale)),
        height: Math.max(1, Math.round(requested.height * scale)),
        withoutEnlargement: false,
    };
}

export async function renderVariant(original: Buffer, options: RenderOptions): Promise<RenderedVariant> {
    const unprocessable = (message: string) => new HttpError(422, "unprocessable_image", message);
    let metadata: Metadata;
    try {
        metadata = await sharp(original, { limitInputPixels: false }).metadata();
    } catch {
        throw unprocessable("The original is not an image sharp can read");
    }
    const output = pipelineFormat(metadata);
    if (!output)
        throw unprocessable(
            `The original's format (${metadata.format ?? "unknown"}) is not one of ${IMAGE_CONTENT_TYPES.map((type) => type.slice("image/".length)).join(", ")}`,
        );
    const frames = metadata.pages ?? 1;
    const frameHeight = metadata.pageHeight ?? metadata.height ?? 0;
    if (totalPixels(metadata) > options.limitInputPixels) {
        throw unprocessable(`The original has more than ${options.limitInputPixels} pixels (all frames counted)`);
    }
    const { format, contentType } = output;
    const animated = ANIMATABLE.has(format) && frames > 1;
    const displayed = {
        width: metadata.autoOrient?.width ?? metadata.width ?? 0,
        height: animated ? frameHeight : (metadata.autoOrient?.height ?? frameHeight),
    };
    const box = targetBox(displayed, options, options.fit);
    try {
        const pipeline = sharp(original, { animated, limitInputPixels: options.limitInputPixels, failOn: "error" })
            .autoOrient()
            .resize({
                width: box.width,
                height: box.height,
                fit: options.fit,
                withoutEnlargement: box.withoutEnlargement,
            })
            .keepIccProfile();
        // zlib's default level: level 9 costs much more time for a few per cent of bytes.
        const encoded =
            format === "png"
                ? pipeline.png({ compressionLevel: 6 })
                : format === "gif"
                  ? pipeline.gif()
                  : format === "avif"
                    ? pipeline.avif({ quality: options.quality })
                    : format === "webp"
                      ? pipeline.webp({ quality: options.quality })
                      : pipeline.jpeg({ quality: options.quality, mozjpeg: false });
        const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
        return {
            bytes: data,
            contentType,
            width: info.width,
            height: animated ? (info.pageHeight ?? info.height) : info.height,
        };
    } catch {
        throw unprocessable("The original could not be decoded or resized");
    }
}
