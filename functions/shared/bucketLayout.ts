// Where things live in the image bucket (shared by the stack, the functions and local mode, so no Pulumi import
// here): the one place that knows the prefixes, the variant keys and the size pattern. Which formats a variant
// may be in is functions/shared/variantFormats.ts's.
import { VARIANT_FORMATS, VariantFormat } from "./variantFormats";

/** Originals: uploads/<uuid>.<ext> (uploads/<sub>/<uuid>.<ext> with auth). Variants: <W>x<H>/uploads/... */
export const UPLOADS_PREFIX = "uploads/";

/** Keys are immutable (a new upload gets a new key), so objects may be cached for a year: the CDN's TTLs and the
 *  variants' Cache-Control both say so. */
export const IMMUTABLE_MAX_AGE_SECONDS = 31_536_000;

/** Every original's key as a wildcard pattern (`*` = any run of characters), as IAM resources, S3 prefix
 *  conditions and CloudFront path patterns all read it. */
export const ORIGINAL_KEYS_PATTERN = `${UPLOADS_PREFIX}*`;
/** Every variant's key in the same pattern language (format keys "<W>x<H>/<format>/uploads/..." too: `*` spans
 *  slashes). It also matches some keys under uploads/ (e.g.
 *  uploads/1x1/uploads/a.jpg): whoever grants on it must put the originals' rule first or deny them. */
export const VARIANT_KEYS_PATTERN = `*x*/${ORIGINAL_KEYS_PATTERN}`;

/** The variant keys of one size ("300x300/uploads/*"). */
export function sizeKeysPattern(size: string): string {
    return `${size}/${ORIGINAL_KEYS_PATTERN}`;
}

const VARIANT_FORMATS_ALTERNATION = VARIANT_FORMATS.join("|");

/** A variant's key: "<W>x<H>/<original>" in the original's format, "<W>x<H>/<format>/<original>" otherwise. */
export function formatVariantKey(size: string, format: VariantFormat | undefined, originalKey: string): string {
    return format === undefined ? `${size}/${originalKey}` : `${size}/${format}/${originalKey}`;
}

/** The variant keys of one size in one format ("300x300/avif/uploads/*"), in the same pattern language. */
export function formatSizeKeysPattern(size: string, format: VariantFormat): string {
    return `${size}/${format}/${ORIGINAL_KEYS_PATTERN}`;
}

/** A variant size "<W>x<H>": at most six digits each, no leading zeros (groups: width, height). One of the two may be
 *  0, imgproxy's "auto": "<W>x0" is W wide and "0x<H>" H high, each with the height or width that keeps the
 *  original's aspect ratio (functions/resize/renderVariant.ts); "0x0" names no size and is not one. Every reader of
 *  sizes is held to one table of cases, tests/support/sizeCases.ts. */
const SIZE = "(?!0x0(?![0-9]))(0|[1-9]\\d{0,5})x(0|[1-9]\\d{0,5})";
export const SIZE_PATTERN = new RegExp(`^${SIZE}$`);

/** A size's width and height, 0 where it keeps the aspect ratio; undefined when it is no size. */
export function parseSize(size: string): { width: number; height: number } | undefined {
    const match = SIZE_PATTERN.exec(size);
    return match ? { width: Number(match[1]), height: Number(match[2]) } : undefined;
}
/** A variant key "<W>x<H>/<original key>" (groups: width, height, original key). */
export const VARIANT_KEY_PATTERN = new RegExp(`^${SIZE}/(.+)$`);
/** A variant key with a format segment, "<W>x<H>/<format>/<original key>" (groups: width, height, format,
 *  original key). Test it before VARIANT_KEY_PATTERN, which would read "<format>/..." as the original key. */
export const FORMAT_VARIANT_KEY_PATTERN = new RegExp(`^${SIZE}/(${VARIANT_FORMATS_ALTERNATION})/(.+)$`);
/** What stands before the original key in a variant key: "<W>x<H>/" or "<W>x<H>/<format>/" (so it also matches
 *  a listed first segment of variant keys, "<W>x<H>/"). */
export const VARIANT_PREFIX_PATTERN = new RegExp(`^${SIZE}/(?:(?:${VARIANT_FORMATS_ALTERNATION})/)?$`);
/** A first segment shaped like a size, valid or not ("0300x300/" too): what is routed to the Resizer to answer. */
export const SIZE_LIKE_SEGMENT = /^\d+x\d+\//;

/** Uploads land here first (presigned PUT/POST); the ingest function checks each one and moves it to uploads/.
 *  Nobody reads this prefix but ingest: the CDN never serves it. */
export const STAGING_PREFIX = "incoming/";
/** One status object per upload, status/<id>.json (id = "<uuid>" or "<owner>/<uuid>"): what the page polls. */
export const STATUS_PREFIX = "status/";
export const STAGING_KEYS_PATTERN = `${STAGING_PREFIX}*`;
export const STATUS_KEYS_PATTERN = `${STATUS_PREFIX}*`;

/** The uuid part of an upload id: what the status route takes (GET /uploads/<uuid>). */
export const UPLOAD_UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** An upload id: a uuid, under an owner segment (the sanitized JWT subject, functions/presign/uploadOwner.ts) with auth;
 *  never a "." or ".." segment. */
const UPLOAD_ID = "(?:(?!\\.\\.?/)[A-Za-z0-9_.-]{1,200}/)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
export const UPLOAD_ID_PATTERN = new RegExp(`^${UPLOAD_ID}$`);
/** A staging key "incoming/<id>.<ext>" (groups: id, extension). */
const STAGING_KEY_PATTERN = new RegExp(`^${STAGING_PREFIX}(${UPLOAD_ID})\\.([a-z]{3,4})$`);

export interface UploadKeys {
    id: string;
    extension: string;
    stagingKey: string;
    /** Where the checked original is stored, uploads/<id>.<ext>. */
    finalKey: string;
    statusKey: string;
}

/** The keys of one upload, from its id and extension. */
export function uploadKeys(id: string, extension: string): UploadKeys {
    return {
        id,
        extension,
        stagingKey: `${STAGING_PREFIX}${id}.${extension}`,
        finalKey: `${UPLOADS_PREFIX}${id}.${extension}`,
        statusKey: statusKey(id),
    };
}

export function statusKey(id: string): string {
    return `${STATUS_PREFIX}${id}.json`;
}

/** The upload a staging key belongs to; undefined for any other key. */
export function parseStagingKey(key: string): UploadKeys | undefined {
    const match = STAGING_KEY_PATTERN.exec(key);
    return match ? uploadKeys(match[1], match[2]) : undefined;
}

/** Every variant key an original can have with these sizes, "<W>x<H>/<original key>" and each format's
 *  "<W>x<H>/<format>/<original key>": the one place that says which variant keys belong to an original (removal
 *  and overwrite clean them up). */
export function variantKeysOf(originalKey: string, sizes: readonly string[]): string[] {
    const formats = [undefined, ...VARIANT_FORMATS];
    return sizes.flatMap((size) => formats.map((format) => formatVariantKey(size, format, originalKey)));
}

/** The variant keys a viewer asks for, one per size, "<W>x<H>/<original key>": the edge picks the format by
 *  Accept, so these are what a page shows (an upload status's `variants`, functions/shared/uploadStatus.ts). */
export function viewerVariantKeys(originalKey: string, sizes: readonly string[]): string[] {
    return sizes.map((size) => formatVariantKey(size, undefined, originalKey));
}

/** The key a viewer asks for to get a variant: the edge function (functions/edge/chooseFormat.js) rewrites
 *  "<W>x<H>/<original>" to "<W>x<H>/<format>/<original>" by Accept, so a format variant is also served at the plain
 *  variant's URI. Other keys are their own. */
export function viewerKeyOf(variantKey: string): string {
    const match = FORMAT_VARIANT_KEY_PATTERN.exec(variantKey);
    return match ? `${match[1]}x${match[2]}/${match[4]}` : variantKey;
}

/** An original key "uploads/<id>.<ext>" (groups: id, extension). */
const ORIGINAL_KEY_PATTERN = new RegExp(`^${UPLOADS_PREFIX}(${UPLOAD_ID})\\.([a-z]{3,4})$`);

/** The upload an original key belongs to (its status key with it); undefined for any other key. */
export function parseOriginalKey(key: string): UploadKeys | undefined {
    const match = ORIGINAL_KEY_PATTERN.exec(key);
    return match ? uploadKeys(match[1], match[2]) : undefined;
}
