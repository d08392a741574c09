// CDN URLs of an image and its variants: "<cdnUrl>/<W>x<H>/<key>", where 0 on one side means "keep the aspect
// ratio" (a width-only "<W>x0" or height-only "0x<H>" size, imgproxy's convention), and "<cdnUrl>/<key>" for the
// original. Pure functions: no I/O, the same answer in a browser, in Node and in next/image's loader.
// The CDN serves only the sizes the stack allows (allowedResolutions): ask for those, or it answers 403.
import { checkedBaseUrl } from "./baseUrl.js";

export interface ImageUrlOptions {
    /** The CDN's base URL (the stack output cdnUrl, or a path such as "/cdn" on the same origin). */
    cdnUrl: string;
    /** Wanted width in pixels; leave it out for the width that keeps the aspect ratio. */
    width?: number;
    /** Wanted height in pixels; leave it out for the height that keeps the aspect ratio. */
    height?: number;
}

export interface SrcSetOptions {
    cdnUrl: string;
    /** The width-only sizes to offer ("<W>x0" in allowedResolutions), in any order. */
    widths: readonly number[];
}

/** The largest side a variant key names: six digits (functions/shared/bucketLayout.ts, SIZE). */
const MAX_SIDE = 999_999;

/** The URL of the original (`width` and `height` both left out) or of one variant size. */
export function imageUrl(key: string, options: ImageUrlOptions): string {
    const base = checkedCdnUrl(options?.cdnUrl);
    const path = keyPath(key);
    const { width, height } = options;
    if (width === undefined && height === undefined) return `${base}/${path}`;
    return `${base}/${sizeOf(options)}/${path}`;
}

/** A variant's size "<W>x<H>", 0 for the side left out (at least one must be given). */
export function sizeOf({ width, height }: { width?: number; height?: number }): string {
    if (width === undefined && height === undefined) throw new TypeError("A size needs a width, a height or both");
    return `${side(width, "width")}x${side(height, "height")}`;
}

/** `srcset` text over width-only sizes, narrowest first: "<url of W1x0> W1w, <url of W2x0> W2w". */
export function srcSet(key: string, options: SrcSetOptions): string {
    const base = checkedCdnUrl(options?.cdnUrl);
    return allowedWidths(options.widths)
        .map((width) => `${imageUrl(key, { cdnUrl: base, width })} ${width}w`)
        .join(", ");
}

/** The allowed widths as a sorted list without repeats; throws on an empty list or a width that is no size. */
export function allowedWidths(widths: readonly number[]): number[] {
    if (!Array.isArray(widths) || widths.length === 0)
        throw new TypeError("widths must list at least one width-only size (the W of each <W>x0 you allow)");
    return [...new Set(widths.map((width) => side(width, "each width")))].sort((a, b) => a - b);
}

/** Of the allowed widths, the smallest that is at least `wanted`, else the largest (never a width not allowed). */
export function pickWidth(widths: readonly number[], wanted: number): number {
    if (typeof wanted !== "number" || !(wanted > 0) || !Number.isFinite(wanted))
        throw new TypeError(`The width asked for must be a positive number, not ${String(wanted)}`);
    const sorted = allowedWidths(widths);
    return sorted.find((width) => width >= wanted) ?? sorted[sorted.length - 1];
}

/** The CDN base URL without its trailing slashes (baseUrl.ts's rule). */
export function checkedCdnUrl(cdnUrl: unknown): string {
    return checkedBaseUrl(cdnUrl, "cdnUrl");
}

/** The key as a URL path: each segment percent-encoded (keys the API hands out are already URL-safe). */
function keyPath(key: unknown): string {
    if (typeof key !== "string" || key.replace(/^\//, "") === "" || /^[a-z][a-z\d+.-]*:/i.test(key))
        throw new TypeError(`key must be the image's key, such as "uploads/<id>.jpg", not ${JSON.stringify(key)}`);
    return key
        .replace(/^\//, "")
        .split("/")
        .map((segment) => encodeURIComponent(segment))
        .join("/");
}

/** A side of a size: a whole number of pixels 1..999999, or 0 when left out. */
function side(value: number | undefined, name: string): number {
    if (value === undefined) return 0;
    if (!Number.isInteger(value) || value < 1 || value > MAX_SIDE)
        throw new TypeError(
            `${name} must be a whole number of pixels from 1 to ${MAX_SIDE} (leave it out to keep the aspect ratio), not ${String(value)}`,
        );
    return value;
}
