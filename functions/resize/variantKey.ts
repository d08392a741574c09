// Variant keys: "<W>x<H>/<original key>" (the original's format) or "<W>x<H>/<format>/<original key>" (AVIF or
// WebP), where the original lives under the uploads prefix; "<W>x0" and "0x<H>" are sizes too (a side alone). The
// layout itself is functions/shared/bucketLayout.ts.
import { HttpError } from "../shared/http";
import { contentTypeForKey } from "../shared/imageTypes";
import { checkObjectKey } from "../shared/objectKey";
import { quoteInput } from "../shared/quoteInput";
import { FORMAT_VARIANT_KEY_PATTERN, SIZE_LIKE_SEGMENT, VARIANT_KEY_PATTERN } from "../shared/bucketLayout";
import type { VariantFormat } from "../shared/variantFormats";

export interface VariantRequest {
    /** 0 when the size names a height alone ("0x<H>"); height 0 likewise for a width alone ("<W>x0"). */
    width: number;
    height: number;
    /** "300x300" */
    resolution: string;
    originalKey: string;
    variantKey: string;
    /** The format asked for by the key's format segment; undefined: the original's own format. */
    format?: VariantFormat;
}

export interface VariantRules {
    uploadPrefix: string;
    /** Allowed "WxH" sizes; empty allows any size up to maxDimension. */
    allowedResolutions: string[];
    maxDimension: number;
    /** Formats allowed in a key's format segment; absent or empty: none. */
    formats?: readonly VariantFormat[];
}

/** Parses and checks a variant key: 400 when malformed (414 when over S3's length), 403 when the size is not allowed. */
export function parseVariantKey(key: string, rules: VariantRules): VariantRequest {
    checkObjectKey(key); // S3's key rules first: no S3 call ever sees a key S3 would refuse
    const formatMatch = FORMAT_VARIANT_KEY_PATTERN.exec(key);
    const match = formatMatch
        ? [formatMatch[0], formatMatch[1], formatMatch[2], formatMatch[4]]
        : VARIANT_KEY_PATTERN.exec(key);
    const format = formatMatch ? (formatMatch[3] as VariantFormat) : undefined;
    if (!match) {
        throw new HttpError(
            400,
            "invalid_key",
            `${quoteInput(key)} is not a variant key like 300x300/${rules.uploadPrefix}<id>.jpg or 300x300/webp/${rules.uploadPrefix}<id>.jpg (sizes are <W>x<H>, <W>x0 or 0x<H>, without leading zeros)`,
        );
    }
    const [, w, h, originalKey] = match;
    if (SIZE_LIKE_SEGMENT.test(originalKey)) {
        throw new HttpError(400, "invalid_key", "A variant of a variant cannot be made; resize the original");
    }
    if (!originalKey.startsWith(rules.uploadPrefix)) {
        throw new HttpError(400, "invalid_key", `Only originals under ${rules.uploadPrefix} can be resized`);
    }
    if (!contentTypeForKey(originalKey)) {
        throw new HttpError(
            400,
            "invalid_key",
            "The original's extension is not an image type (jpg, png, webp, gif, avif)",
        );
    }
    const resolution = `${w}x${h}`;
    const [width, height] = [Number(w), Number(h)];
    const allowed =
        rules.allowedResolutions.length > 0
            ? rules.allowedResolutions.includes(resolution)
            : width <= rules.maxDimension && height <= rules.maxDimension;
    if (!allowed) {
        const what =
            rules.allowedResolutions.length > 0
                ? `allowed sizes: ${rules.allowedResolutions.join(", ")}`
                : `sizes up to ${rules.maxDimension}x${rules.maxDimension} are allowed`;
        throw new HttpError(403, "size_not_allowed", `Size ${resolution} is not allowed; ${what}`);
    }
    if (format && !(rules.formats ?? []).includes(format)) {
        const what = rules.formats?.length ? `enabled formats: ${rules.formats.join(", ")}` : "no format is enabled";
        throw new HttpError(403, "format_not_allowed", `Format ${format} is not enabled; ${what}`);
    }
    return { width, height, resolution, originalKey, variantKey: key, ...(format ? { format } : {}) };
}
