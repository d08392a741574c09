// Variant keys: "<W>x<H>/<original key>", where the original lives under the uploads prefix.
import { HttpError } from "../shared/http";
import { contentTypeForKey } from "../shared/imageTypes";
import { checkObjectKey } from "../shared/objectKey";
import { quoteInput } from "../shared/quoteInput";
import { SIZE_LIKE_SEGMENT, VARIANT_KEY_PATTERN } from "../shared/bucketLayout";

export interface VariantRequest {
    width: number;
    height: number;
    /** "300x300" */
    resolution: string;
    originalKey: string;
    variantKey: string;
}

export interface VariantRules {
    uploadPrefix: string;
    /** Allowed "WxH" sizes; empty allows any size up to maxDimension. */
    allowedResolutions: string[];
    maxDimension: number;
}

/** Parses and checks a variant key: 400 when malformed (414 when over S3's length), 403 when the size is not allowed. */
export function parseVariantKey(key: string, rules: VariantRules): VariantRequest {
    checkObjectKey(key); // S3's key rules first: no S3 call ever sees a key S3 would refuse
    const match = VARIANT_KEY_PATTERN.exec(key);
    if (!match) {
        throw new HttpError(
            400,
            "invalid_key",
            `${quoteInput(key)} is not a variant key like 300x300/${rules.uploadPrefix}<id>.jpg (sizes are positive, without leading zeros)`,
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
    return { width, height, resolution, originalKey, variantKey: key };
}
