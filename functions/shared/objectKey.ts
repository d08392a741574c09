// The one check every object key taken from a request passes before any S3 call (resize handler, local CDN).
// S3's own rule: a key is UTF-8, at most 1,024 bytes, prefix and "/" included
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html). The same page lists control
// characters (0x00-0x1F, 0x7F) among characters that need special handling (XML 1.0 cannot even carry most of
// them in a listing) and "." / ".." segments, which some clients resolve as paths. This pipeline never writes
// such keys, so it refuses them: stricter than S3, never laxer, and no key is ever resolved to another object.
import { HttpError } from "./http";

export const MAX_KEY_BYTES = 1024;
/**
 * No key this pipeline writes has a longer segment (uuid file names; a JWT subject is cut to 200 bytes), and a
 * file-backed store (s3rver, most file systems) cannot hold one: refused as malformed rather than looked up.
 */
export const MAX_SEGMENT_BYTES = 255;

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's job
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Throws 414 key_too_long for a key over S3's limit, 400 invalid_key for a malformed one. */
export function checkObjectKey(key: string): void {
    if (key === "") throw new HttpError(400, "invalid_key", "The key is empty");
    if (LONE_SURROGATE.test(key)) throw new HttpError(400, "invalid_key", "The key is not valid UTF-8");
    const bytes = Buffer.byteLength(key, "utf8");
    if (bytes > MAX_KEY_BYTES) {
        throw new HttpError(
            414,
            "key_too_long",
            `The key is ${bytes} bytes of UTF-8; S3 keys are at most ${MAX_KEY_BYTES}`,
        );
    }
    if (CONTROL.test(key)) throw new HttpError(400, "invalid_key", "The key contains a control character");
    const segments = key.split("/");
    if (segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
        throw new HttpError(
            400,
            "invalid_key",
            "The key has empty, . or .. segments (a leading, trailing or double /)",
        );
    }
    if (segments.some((segment) => Buffer.byteLength(segment, "utf8") > MAX_SEGMENT_BYTES)) {
        throw new HttpError(400, "invalid_key", `A key segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
}

/** A percent-encoded URL path (without its leading "/") as the key it names; 400 for invalid encoding. */
export function keyFromPath(rawPath: string): string {
    let key: string;
    try {
        key = decodeURIComponent(rawPath.replace(/^\//, ""));
    } catch {
        throw new HttpError(400, "invalid_key", "The path is not valid percent-encoding");
    }
    checkObjectKey(key);
    return key;
}

/** The CDN path of a key: "/" + the key, each segment percent-encoded (keyFromPath's inverse); CloudFront matches
 *  invalidation paths and signed URLs' resources in this form
 *  (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html). */
export function cdnPathOf(key: string): string {
    return `/${key.split("/").map(encodeURIComponent).join("/")}`;
}
