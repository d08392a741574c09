// What cleanup knows of one image's objects in S3, and how it deletes them: which of its variant keys exist (each
// listed with its own key as the prefix: a missing key is no 403), what an object's metadata says (HEAD: its cache
// tag, and for a variant the original version it was made from), and deletion in batches.
import {
    DeleteObjectsCommand,
    HeadObjectCommand,
    HeadObjectCommandOutput,
    ListObjectsV2Command,
    S3Client,
} from "@aws-sdk/client-s3";
import { VARIANT_PREFIX_PATTERN, variantKeysOf } from "../shared/bucketLayout";
import { CACHE_TAG_METADATA } from "../shared/cacheTag";
import { MADE_FROM_METADATA } from "../shared/originalVersion";

/** DeleteObjects takes at most 1,000 keys (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html). */
const MAX_KEYS_PER_DELETE = 1000;

/** A variant as cleanup weighs it. */
export interface DescribedVariant {
    key: string;
    /** The original version it was made from; undefined for a variant stored before versions were recorded. */
    madeFrom?: string;
    /** Whether it carries its image's cache tag (a variant stored before tags existed does not). */
    tagged: boolean;
}

export function imageObjects(s3: S3Client, bucket: string, allowedResolutions: string[]) {
    /** Whether a key exists: listed with itself as the prefix (it sorts first among the keys it prefixes, so it is
     *  on the first page). A listing, not a HEAD: with s3:ListBucket granted only for such prefixes, S3 answers a
     *  HEAD of a missing key 403, not 404. */
    async function exists(key: string): Promise<boolean> {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
        return page.Contents?.some((entry) => entry.Key === key) ?? false;
    }

    /** An object's metadata (HEAD: s3:GetObject, no byte read, so no KMS key either). */
    function head(key: string): Promise<HeadObjectCommandOutput> {
        return s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    }

    /** The allowlist; with any size allowed, the "<W>x<H>/" prefixes the bucket has (listed with Delimiter "/"). */
    async function variantSizes(): Promise<string[]> {
        if (allowedResolutions.length > 0) return allowedResolutions;
        const sizes: string[] = [];
        let token: string | undefined;
        do {
            const page = await s3.send(
                new ListObjectsV2Command({ Bucket: bucket, Prefix: "", Delimiter: "/", ContinuationToken: token }),
            );
            for (const { Prefix } of page.CommonPrefixes ?? [])
                if (Prefix && VARIANT_PREFIX_PATTERN.test(Prefix)) sizes.push(Prefix.slice(0, -1));
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return sizes;
    }

    /** The variants of an original that exist, each with what its metadata says. */
    async function variantsOf(originalKey: string): Promise<DescribedVariant[]> {
        const candidates = variantKeysOf(originalKey, await variantSizes());
        const found = await Promise.all(candidates.map(exists));
        const existing = candidates.filter((_, at) => found[at]);
        const described = await Promise.all(
            existing.map(async (key): Promise<DescribedVariant | undefined> => {
                try {
                    const metadata = (await head(key)).Metadata ?? {};
                    return { key, madeFrom: metadata[MADE_FROM_METADATA], tagged: CACHE_TAG_METADATA in metadata };
                } catch (error) {
                    // Deleted since it was listed (another event of the same image): nothing left to weigh. (On AWS
                    // S3 answers this role's HEAD of a missing key 403, which fails the record: its retry lists again.)
                    if ((error as { name?: string }).name === "NotFound") return undefined;
                    throw error;
                }
            }),
        );
        return described.filter((variant): variant is DescribedVariant => variant !== undefined);
    }

    async function deleteKeys(keys: string[]): Promise<void> {
        for (let at = 0; at < keys.length; at += MAX_KEYS_PER_DELETE) {
            const answer = await s3.send(
                new DeleteObjectsCommand({
                    Bucket: bucket,
                    Delete: { Objects: keys.slice(at, at + MAX_KEYS_PER_DELETE).map((Key) => ({ Key })), Quiet: true },
                }),
            );
            // DeleteObjects answers 200 and lists each key it could not delete.
            const failed = answer.Errors ?? [];
            if (failed.length > 0)
                throw new Error(`could not delete ${failed.length} objects (${failed[0].Code ?? "unknown error"})`);
        }
    }

    return { exists, head, variantsOf, deleteKeys };
}
