// The flexible checksums of a multipart upload, kept and checked as S3 does. An upload may be created with an
// algorithm and a type (x-amz-checksum-algorithm, x-amz-checksum-type). Then every part has a checksum of that
// algorithm (the one it was sent with, or one S3 computes), CompleteMultipartUpload must list each part's, and the
// object's checksum is either
// - COMPOSITE: the algorithm over the parts' binary checksums, in base64, then "-" and the part count; or
// - FULL_OBJECT: the algorithm over the whole object (CRCs only).
// CRC64NVME is full-object only, SHA-1 and SHA-256 composite only, CRC32 and CRC32C either (composite by default).
// A checksum sent with CompleteMultipartUpload (x-amz-checksum-<algorithm>) must equal the object's: 400 BadDigest
// otherwise. An upload created without an algorithm has S3's default, a full-object CRC64NVME.
// Rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html (full object and
// composite checksums, the algorithms of each type), https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html,
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html (a checksum type other than at
// create: BadDigest), https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompletedPart.html (with part checksums,
// part numbers start at 1 and are consecutive, else InvalidPartOrder). S3's codes, as ceph/s3-tests expects them
// (test_multipart_checksum_sha256: a wrong object checksum is BadDigest, also when the parts list no checksums).
import * as fs from "fs";
import {
    ChecksumAlgorithm,
    ChecksumClaims,
    checksumHasher,
    isChecksumAlgorithm,
    unsupportedAlgorithm,
} from "./checksumVerify";
import { S3Failure, s3Failure } from "./s3Failure";

export type ChecksumType = "COMPOSITE" | "FULL_OBJECT";

export interface UploadChecksum {
    algorithm: ChecksumAlgorithm;
    type: ChecksumType;
}

/** The types each algorithm has, its default first. */
const TYPES: Record<ChecksumAlgorithm, readonly ChecksumType[]> = {
    crc32: ["COMPOSITE", "FULL_OBJECT"],
    crc32c: ["COMPOSITE", "FULL_OBJECT"],
    crc64nvme: ["FULL_OBJECT"],
    sha1: ["COMPOSITE"],
    sha256: ["COMPOSITE"],
};

/** What S3 keeps for an upload created without an algorithm. */
const DEFAULT_CHECKSUM: UploadChecksum = { algorithm: "crc64nvme", type: "FULL_OBJECT" };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
}

/** CreateMultipartUpload's algorithm and type: none, the upload's checksum, or S3's 400 InvalidRequest. */
export function createdChecksum(headers: Headers): { checksum?: UploadChecksum } | S3Failure {
    const algorithmText = header(headers, "x-amz-checksum-algorithm");
    const typeText = header(headers, "x-amz-checksum-type");
    if (algorithmText === undefined) {
        if (typeText === undefined) return {};
        return s3Failure(
            400,
            "InvalidRequest",
            "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
        );
    }
    const algorithm = algorithmText.trim().toLowerCase();
    if (!isChecksumAlgorithm(algorithm)) return unsupportedAlgorithm();
    const type = typeText === undefined ? TYPES[algorithm][0] : typeText.trim().toUpperCase();
    if (type !== "COMPOSITE" && type !== "FULL_OBJECT")
        return s3Failure(400, "InvalidRequest", "Value for x-amz-checksum-type header is invalid.");
    if (!TYPES[algorithm].includes(type))
        return s3Failure(
            400,
            "InvalidRequest",
            `The ${type} checksum type cannot be used with the ${algorithm} checksum algorithm.`,
        );
    return { checksum: { algorithm, type } };
}

function singleClaim(claims: ReadonlyMap<string, string>): S3Failure | undefined {
    if (claims.size <= 1) return undefined;
    return s3Failure(
        400,
        "InvalidRequest",
        "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    );
}

function algorithmMismatch(expected: string, actual: string): S3Failure {
    return s3Failure(
        400,
        "InvalidRequest",
        `Checksum Type mismatch occurred, expected checksum Type: ${expected}, actual checksum Type: ${actual}`,
    );
}

/** UploadPart: one checksum at most, of the upload's algorithm when it has one (its value was checked already). */
export function partChecksumFailure(
    upload: UploadChecksum | undefined,
    claims: ReadonlyMap<string, string>,
): S3Failure | undefined {
    const [claimed] = claims.keys();
    return (
        singleClaim(claims) ??
        (upload && claimed !== undefined && claimed !== upload.algorithm
            ? algorithmMismatch(upload.algorithm, claimed)
            : undefined)
    );
}

/** CompleteMultipartUpload's own headers, checked before its parts: the type and the algorithm of the upload. */
export function completionHeaderFailure(
    upload: UploadChecksum | undefined,
    headers: Headers,
    claims: ChecksumClaims,
): S3Failure | undefined {
    const typeText = header(headers, "x-amz-checksum-type");
    if (typeText !== undefined && typeText.trim().toUpperCase() !== upload?.type)
        return s3Failure(
            400,
            "BadDigest",
            `The upload was created using the ${upload?.type ?? "null"} checksum mode. The complete request must use the same checksum mode.`,
        );
    const [claimed] = claims.keys();
    const expected = (upload ?? DEFAULT_CHECKSUM).algorithm;
    return (
        singleClaim(claims) ??
        (claimed !== undefined && claimed !== expected ? algorithmMismatch(expected, claimed) : undefined)
    );
}

/** A part the completion names: its number, the checksums the request lists for it, and what was stored. */
export interface CompletedPart {
    number: number;
    listed: ReadonlyMap<string, string>;
    checksums: ReadonlyMap<string, string>;
    file: string;
}

/**
 * The object's checksum, once the parts are known to exist with these ETags: S3's refusals in S3's order (the part
 * numbers, then the object checksum sent, then a part listed without its checksum), or the value to answer (none
 * for an upload without an algorithm).
 */
export async function objectChecksum(
    upload: UploadChecksum | undefined,
    claims: ChecksumClaims,
    parts: CompletedPart[],
): Promise<S3Failure | { value?: string }> {
    if (upload && upload.algorithm !== "crc64nvme" && parts.some((part, index) => part.number !== index + 1))
        return s3Failure(
            400,
            "InvalidPartOrder",
            "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
        );
    const kept = upload ?? DEFAULT_CHECKSUM;
    const claimed = claims.get(kept.algorithm);
    // Without an algorithm, S3's default checksum is computed only to check one that was sent.
    const value = upload || claimed !== undefined ? await checksumOfParts(kept, parts) : undefined;
    if (claimed !== undefined && claimed !== value)
        return s3Failure(
            400,
            "BadDigest",
            `The ${kept.algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
        );
    const unlisted = upload && parts.find((part) => !part.listed.has(upload.algorithm));
    if (upload && unlisted)
        return s3Failure(
            400,
            "InvalidRequest",
            `The upload was created using a ${upload.algorithm} checksum. The complete request must include the checksum for each part. It was missing for part ${unlisted.number} in the request.`,
        );
    return { value: upload ? value : undefined };
}

async function checksumOfParts(checksum: UploadChecksum, parts: CompletedPart[]): Promise<string> {
    const hasher = checksumHasher(checksum.algorithm);
    if (checksum.type === "COMPOSITE") {
        for (const part of parts) hasher.update(Buffer.from(part.checksums.get(checksum.algorithm) ?? "", "base64"));
        return `${(await hasher.digest()).toString("base64")}-${parts.length}`;
    }
    for (const part of parts) for await (const chunk of fs.createReadStream(part.file)) hasher.update(chunk as Buffer);
    return (await hasher.digest()).toString("base64");
}
