// The CloudFront cache tag of an image: every object of one image (its original and each variant, stored or answered
// by the Resizer) carries one tag, so a single `#<tag>` invalidation item reaches every cached copy of the image,
// whatever its path ("Invalidating content by cache tags",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-by-tags.html). No Pulumi import:
// the stack, the functions and local mode all read it.
import { parseOriginalKey } from "./bucketLayout";

/** The object metadata that holds the tag. S3 answers metadata `<name>` as the header `x-amz-meta-<name>`, and
 *  that header is what the distribution's CacheTagConfig names (infra/delivery/cdnDistribution.ts). */
export const CACHE_TAG_METADATA = "cache-tag";
/** The header CloudFront reads tags from: S3's answer for the metadata above, and the Resizer's own answers. */
export const CACHE_TAG_HEADER = `x-amz-meta-${CACHE_TAG_METADATA}`;

/** CloudFront's rule for one tag: ASCII visible characters (33–126) except the comma, at most 256 of them
 *  (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-tags.html). */
const CACHE_TAG_PATTERN = /^[\x21-\x2b\x2d-\x7e]{1,256}$/;

export function isCacheTag(value: string): boolean {
    return CACHE_TAG_PATTERN.test(value);
}

/**
 * The tag of the image whose original is `originalKey`: the key itself, for the pipeline's originals
 * (uploads/[<owner>/]<uuid>.<ext>: letters, digits, "_.-/", at most 250 characters, so always a valid tag; tags
 * are case-insensitive, and the uuid keeps two images apart). Any other key (an outside writer's) gets no tag:
 * cleanup never handles it either.
 */
export function cacheTagOf(originalKey: string): string | undefined {
    return parseOriginalKey(originalKey) && isCacheTag(originalKey) ? originalKey : undefined;
}

/** The one invalidation item that reaches every cached object of an image: `#<tag>`. */
export function tagInvalidationItem(tag: string): string {
    return `#${tag}`;
}
