// The image work of the Resizer: one original in, one variant out, with sharp (libvips).
import sharp, { Metadata } from "sharp";
import { HttpError } from "../shared/http";
import { contentTypeForSharpFormat, IMAGE_CONTENT_TYPES, ImageContentType } from "../shared/imageTypes";
import { pipelineFormat, totalPixels } from "../shared/imageMetadata";
import { AVIF_MAX_PIXELS, chooseOutputFormat, VariantFormat } from "../shared/variantFormats";
import { avifOptions, jpegOptions, webpOptions } from "./encoderSettings";
import type { ResizeFit, ResizeGravity } from "../shared/resizeFit";
import type { FocalPoint } from "../shared/focalPoint";

export interface RenderOptions {
    /** 0 for a height alone ("0x<H>"): the width keeps the original's aspect ratio. */
    width: number;
    /** 0 for a width alone ("<W>x0"). */
    height: number;
    fit: ResizeFit;
    /** Where `cover` crops; the centre unless given. */
    gravity?: ResizeGravity;
    /** The original's focal point (functions/shared/focalPoint.ts): `cover` keeps it in view, as near the box's
     *  centre as the image allows; it takes precedence over the gravity. */
    focus?: FocalPoint;
    /** 1–100, for JPEG, WebP and AVIF. */
    quality: number;
    /** Largest original decoded, in pixels summed over all frames. */
    limitInputPixels: number;
    /** The format asked for (the key's format segment); undefined: the original's. shared/variantFormats.ts decides. */
    format?: VariantFormat;
    /** Largest variant encoded as AVIF when AVIF is asked for; AVIF_MAX_PIXELS unless given (a variant made
     *  ahead of any request may afford more). */
    avifMaxPixels?: number;
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

/** libvips' threads per image (sharp.concurrency, process-wide): on glibc Linux sharp starts with 1, which leaves
 *  a second vCPU idle during an AVIF encode. The Resizer sets it from its settings (the function's vCPUs). */
export function useThreads(threads: number): void {
    sharp.concurrency(threads);
}

/** The output box: `auto` names the side sharp derives from the other ("<W>x0": the height; "0x<H>": the width). */
export interface TargetBox {
    width: number;
    height: number;
    withoutEnlargement: boolean;
    auto?: "width" | "height";
}

/**
 * The output box, never larger than the original (as displayed, EXIF orientation applied). A width or height
 * alone ("<W>x0", "0x<H>") keeps the original's aspect ratio whatever the fit, at most the original's size. cover
 * and contain make exactly the requested aspect ratio, so their box shrinks as a whole until it fits the
 * original; inside keeps the original's aspect ratio and never enlarges it.
 */
export function targetBox(
    original: { width: number; height: number },
    requested: { width: number; height: number },
    fit: ResizeFit,
): TargetBox {
    if (requested.width === 0 || requested.height === 0) {
        const auto = requested.width === 0 ? "width" : "height";
        const scale = Math.min(
            1,
            auto === "width" ? requested.height / original.height : requested.width / original.width,
        );
        return {
            width: Math.max(1, Math.round(original.width * scale)),
            height: Math.max(1, Math.round(original.height * scale)),
            withoutEnlargement: true,
            auto,
        };
    }
    if (fit === "inside") return { ...requested, withoutEnlargement: true };
    const scale = Math.min(1, original.width / requested.width, original.height / requested.height);
    return {
        width: Math.max(1, Math.round(requested.width * scale)),
        height: Math.max(1, Math.round(requested.height * scale)),
        withoutEnlargement: false,
    };
}

/**
 * A `cover` crop around a focal point: the scale that covers the box, and the box-sized window of the scaled image
 * whose centre is nearest the point (clamped to the image's edges).
 */
export function focusCrop(
    displayed: { width: number; height: number },
    box: { width: number; height: number },
    focus: FocalPoint,
): { width: number; height: number; left: number; top: number } {
    const scale = Math.max(box.width / displayed.width, box.height / displayed.height);
    const width = Math.max(box.width, Math.round(displayed.width * scale));
    const height = Math.max(box.height, Math.round(displayed.height * scale));
    const start = (point: number, size: number, window: number) =>
        Math.min(size - window, Math.max(0, Math.round(point * size - window / 2)));
    return { width, height, left: start(focus.x, width, box.width), top: start(focus.y, height, box.height) };
}

/** sharp's `position` for a gravity: the centre, or one of its smartcrop strategies. */
function gravityPosition(gravity: ResizeGravity | undefined): string | number {
    if (gravity === "attention") return sharp.strategy.attention;
    if (gravity === "entropy") return sharp.strategy.entropy;
    return "centre";
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
    const animated = ANIMATABLE.has(output.format) && frames > 1;
    const displayed = {
        width: metadata.autoOrient?.width ?? metadata.width ?? 0,
        height: animated ? frameHeight : (metadata.autoOrient?.height ?? frameHeight),
    };
    const box = targetBox(displayed, options, options.fit);
    const format = chooseOutputFormat({
        requested: options.format,
        original: output.format,
        animated,
        outputPixels: box.width * box.height,
        avifMaxPixels: options.avifMaxPixels ?? AVIF_MAX_PIXELS,
    });
    const contentType = contentTypeForSharpFormat(format)!;
    try {
        const decoded = sharp(original, { animated, limitInputPixels: options.limitInputPixels, failOn: "error" });
        // A focal point: scale to cover, then cut the box around the point (a still image's cover box only).
        const crop =
            options.focus && options.fit === "cover" && !box.auto && !animated
                ? focusCrop(displayed, box, options.focus)
                : undefined;
        const pipeline = (
            crop
                ? decoded
                      .autoOrient()
                      .resize({ width: crop.width, height: crop.height, fit: "fill" })
                      .extract({ left: crop.left, top: crop.top, width: box.width, height: box.height })
                : decoded.autoOrient().resize({
                      // A side left out is derived by sharp from the other, keeping the aspect ratio
                      // ("<W>x0", "0x<H>").
                      ...(box.auto === "width" ? {} : { width: box.width }),
                      ...(box.auto === "height" ? {} : { height: box.height }),
                      fit: options.fit,
                      // libvips' smartcrop for cover (attention, entropy); other fits and single sides never
                      // crop. sharp refuses a strategy for a multi-page (animated) image: its frames crop at the
                      // centre.
                      position: animated ? "centre" : gravityPosition(options.gravity),
                      withoutEnlargement: box.withoutEnlargement,
                  })
        ).keepIccProfile();
        // zlib's default level: level 9 costs much more time for a few per cent of bytes. The lossy encoders'
        // settings are encoderSettings.ts's, by the variant's pixels (one frame).
        const pixels = box.width * box.height;
        const encoded =
            format === "png"
                ? pipeline.png({ compressionLevel: 6 })
                : format === "gif"
                  ? pipeline.gif()
                  : format === "avif"
                    ? pipeline.avif(avifOptions(options.quality, pixels))
                    : format === "webp"
                      ? pipeline.webp(webpOptions(options.quality, pixels))
                      : pipeline.jpeg(jpegOptions(options.quality, pixels));
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
