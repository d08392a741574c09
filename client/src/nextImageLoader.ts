// The loader next/image calls for every width it puts in a srcset (next.config `images.loader: "custom"` with
// `images.loaderFile`: https://nextjs.org/docs/app/api-reference/config/next-config-js/images). It answers only
// width-only sizes the stack allows, so next/image can never make the CDN render a size outside the allowlist.
import { allowedWidths, checkedCdnUrl, imageUrl, pickWidth } from "./imageUrls.js";

export interface NextImageLoaderOptions {
    cdnUrl: string;
    /** The width-only sizes the stack allows (each "<W>x0" in allowedResolutions). */
    widths: readonly number[];
}

/** What next/image passes a loader: the image's `src` (here its key), the width it wants, and its quality prop. */
export interface NextImageLoaderParams {
    src: string;
    width: number;
    quality?: number;
}

/**
 * A next/image loader over the allowed widths: the smallest at least as wide as asked, else the widest. `quality`
 * is not part of the URL: the pipeline encodes each format at its own quality (functions/resize/encoderSettings.ts),
 * and a per-request quality would multiply the variants the CDN caches.
 */
export function nextImageLoader(options: NextImageLoaderOptions): (params: NextImageLoaderParams) => string {
    const widths = allowedWidths(options?.widths);
    const cdnUrl = checkedCdnUrl(options.cdnUrl);
    return ({ src, width }) => imageUrl(src, { cdnUrl, width: pickWidth(widths, width) });
}
