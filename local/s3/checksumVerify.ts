// S3's integrity checks on a body: a flexible checksum named in the URL, a header or a POST form field, and
// Content-MD5, must match the body actually sent.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
import { createHash } from "crypto";
import { crc32 } from "zlib";
import { crc32c } from "@aws-crypto/crc32c";
import { Crc64Nvme } from "@aws-sdk/crc64-nvme";
import { S3Failure, s3Failure } from "./s3Failure";

const ALGORITHMS: Record<string, (body: Buffer) => Promise<string> | string> = {
    crc32: (body) => uint32Base64(crc32(body)),
    crc32c: (body) => uint32Base64(crc32c(body)),
    crc64nvme: async (body) => {
        const checksum = new Crc64Nvme();
        checksum.update(body);
        return Buffer.from(await checksum.digest()).toString("base64");
    },
    sha1: (body) => createHash("sha1").update(body).digest("base64"),
    sha256: (body) => createHash("sha256").update(body).digest("base64"),
};

function uint32Base64(value: number): string {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(value >>> 0);
    return bytes.toString("base64");
}

/** The checksums claimed for a body: x-amz-checksum-<algorithm> → base64 value. */
export type ChecksumClaims = Map<string, string>;

export function checksumClaims(
    query: URLSearchParams,
    headers: Record<string, string | string[] | undefined>,
): ChecksumClaims {
    const claims: ChecksumClaims = new Map();
    for (const algorithm of Object.keys(ALGORITHMS)) {
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

export async function verifyChecksums(claims: ChecksumClaims, body: Buffer): Promise<S3Failure | undefined> {
    for (const [algorithm, claimed] of claims) {
        if ((await ALGORITHMS[algorithm](body)) !== claimed) {
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
