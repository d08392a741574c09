// S3's flexible checksums: a checksum named in the URL (or a header) must match the body actually sent.
import { createHash } from "crypto";
import { crc32 } from "zlib";
import { crc32c } from "@aws-crypto/crc32c";
import { S3Failure, s3Failure } from "./s3Failure";

const ALGORITHMS: Record<string, (body: Buffer) => string> = {
    crc32: (body) => uint32Base64(crc32(body)),
    crc32c: (body) => uint32Base64(crc32c(body)),
    sha1: (body) => createHash("sha1").update(body).digest("base64"),
    sha256: (body) => createHash("sha256").update(body).digest("base64"),
};

function uint32Base64(value: number): string {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(value >>> 0);
    return bytes.toString("base64");
}

export function verifyChecksums(query: URLSearchParams, headers: Record<string, string | string[] | undefined>, body: Buffer): S3Failure | undefined {
    for (const [algorithm, compute] of Object.entries(ALGORITHMS)) {
        const name = `x-amz-checksum-${algorithm}`;
        const header = headers[name];
        const claimed = query.get(name) ?? (Array.isArray(header) ? header[0] : header);
        if (claimed === undefined) continue;
        if (compute(body) !== claimed) {
            return s3Failure(400, "BadDigest", `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`);
        }
    }
    return undefined;
}
