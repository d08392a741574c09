// S3's integrity checks on a body: a flexible checksum named in the URL, a header or a POST form field, and
// Content-MD5, must match the body actually sent.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
import { createHash } from "crypto";
import { crc32 } from "zlib";
import { Crc32c } from "@aws-crypto/crc32c";
import { Crc64Nvme } from "@aws-sdk/crc64-nvme";
import { S3Failure, s3Failure } from "./s3Failure";

/** S3's flexible checksum algorithms, as they appear in x-amz-checksum-<algorithm>. */
export const CHECKSUM_ALGORITHMS = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function isChecksumAlgorithm(name: string): name is ChecksumAlgorithm {
    return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name);
}

/** A checksum computed chunk by chunk (a part streamed to disk, an object read part by part): its raw bytes. */
export interface ChecksumHasher {
    update(chunk: Uint8Array): void;
    digest(): Promise<Buffer>;
}

export function checksumHasher(algorithm: ChecksumAlgorithm): ChecksumHasher {
    switch (algorithm) {
        case "crc32": {
            let value = 0;
            return {
                update: (chunk) => {
                    value = crc32(chunk, value);
                },
                digest: async () => uint32Bytes(value),
            };
        }
        case "crc32c": {
            const checksum = new Crc32c();
            return {
                update: (chunk) => void checksum.update(chunk),
                digest: async () => uint32Bytes(checksum.digest()),
            };
        }
        case "crc64nvme": {
            const checksum = new Crc64Nvme();
            return {
                update: (chunk) => checksum.update(chunk),
                digest: async () => Buffer.from(await checksum.digest()),
            };
        }
        case "sha1":
        case "sha256": {
            const hash = createHash(algorithm);
            return { update: (chunk) => void hash.update(chunk), digest: async () => hash.digest() };
        }
    }
}

/** A body's checksum as S3 writes it (base64). */
export async function checksumOf(algorithm: ChecksumAlgorithm, body: Uint8Array): Promise<string> {
    const hasher = checksumHasher(algorithm);
    hasher.update(body);
    return (await hasher.digest()).toString("base64");
}

function uint32Bytes(value: number): Buffer {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(value >>> 0);
    return bytes;
}

/** The checksums claimed for a body: x-amz-checksum-<algorithm> → base64 value. */
export type ChecksumClaims = Map<ChecksumAlgorithm, string>;

export function checksumClaims(
    query: URLSearchParams,
    headers: Record<string, string | string[] | undefined>,
): ChecksumClaims {
    const claims: ChecksumClaims = new Map();
    for (const algorithm of CHECKSUM_ALGORITHMS) {
        const name = `x-amz-checksum-${algorithm}`;
        const header = headers[name];
        const claimed = query.get(name) ?? (Array.isArray(header) ? header[0] : header);
        if (claimed !== undefined) claims.set(algorithm, claimed);
    }
    return claims;
}

export function hasChecksumClaim(
    query: URLSearchParams,
    headers: Record<string, string | string[] | undefined>,
): boolean {
    return (
        [...query.keys(), ...Object.keys(headers)].some((name) => name.toLowerCase().startsWith("x-amz-checksum-")) ||
        headers["content-md5"] !== undefined
    );
}

/** S3's answer to an x-amz-checksum-<algorithm> (or x-amz-checksum-algorithm) naming no algorithm it has. */
export function unsupportedAlgorithm(): S3Failure {
    return s3Failure(
        400,
        "InvalidRequest",
        "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
    );
}

export async function verifyChecksums(
    claims: ReadonlyMap<string, string>,
    body: Buffer,
): Promise<S3Failure | undefined> {
    for (const [algorithm, claimed] of claims) {
        if (!isChecksumAlgorithm(algorithm)) return unsupportedAlgorithm();
        if ((await checksumOf(algorithm, body)) !== claimed) {
            return s3Failure(
                400,
                "BadDigest",
                `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
            );
        }
    }
    return undefined;
}

/** Content-MD5 (RFC 1864): a malformed value is 400 InvalidDigest, one that does not match the body 400 BadDigest. */
export function verifyContentMd5(header: string | string[] | undefined, body: Buffer): S3Failure | undefined {
    if (header === undefined) return undefined;
    const claimed = Array.isArray(header) ? header[0] : header;
    if (!/^[A-Za-z0-9+/]{22}==$/.test(claimed))
        return s3Failure(400, "InvalidDigest", "The Content-MD5 you specified is not valid.");
    if (createHash("md5").update(body).digest("base64") !== claimed) {
        return s3Failure(400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
    }
    return undefined;
}
