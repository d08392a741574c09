// How a variant fills its box (sharp's `fit`): a term the config, the Resizer and ingest's eager variants share.

/** The fits the config accepts and the functions' settings carry. */
export const RESIZE_FITS = ["cover", "contain", "inside"] as const;
export type ResizeFit = (typeof RESIZE_FITS)[number];
