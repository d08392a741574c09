// How a variant fills its box (sharp's `fit`), and where `cover` crops (sharp's `position`): terms the config, the
// Resizer and ingest's eager variants share.

/** The fits the config accepts and the functions' settings carry. */
export const RESIZE_FITS = ["cover", "contain", "inside"] as const;
export type ResizeFit = (typeof RESIZE_FITS)[number];

/** Where `cover` crops: the centre (libvips' default), or libvips' smartcrop strategies, `attention` (the region
 *  with the most skin tone, saturation and edges) and `entropy` (the most information):
 *  https://sharp.pixelplumbing.com/api-resize#resize ("position", "sharp.strategy"). Measured by
 *  bench/responsiveBench.ts. */
export const RESIZE_GRAVITIES = ["centre", "attention", "entropy"] as const;
export type ResizeGravity = (typeof RESIZE_GRAVITIES)[number];
