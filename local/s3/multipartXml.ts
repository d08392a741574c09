// The documents of the local S3's multipart operations: the CompleteMultipartUpload list it reads, the answers it
// writes, ListParts' paging. https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
// (request and response syntax), https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html.
import type { UploadChecksum } from "./multipartChecksums";
import { escapeXml, S3Failure, s3Failure } from "./s3Failure";

const DEFAULT_MAX_PARTS_LISTED = 1000;

export interface MultipartAnswer {
    status: number;
    headers?: Record<string, string>;
    body?: string;
}

/** One <Part> of a CompleteMultipartUpload document; checksums by lower-case algorithm (ChecksumSHA256 → sha256). */
export interface ListedPart {
    number: number;
    etag: string;
    checksums: Map<string, string>;
}

/** The <Part> list of a CompleteMultipartUpload body; undefined when it is not that document. */
export function completeParts(text: string): ListedPart[] | undefined {
    if (!/<CompleteMultipartUpload[\s>]/.test(text)) return undefined;
    const parts: ListedPart[] = [];
    for (const [, inner] of text.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
        const number = /<PartNumber>\s*(\d{1,5})\s*<\/PartNumber>/.exec(inner)?.[1];
        const etag = /<ETag>([^<]*)<\/ETag>/.exec(inner)?.[1];
        if (number === undefined || etag === undefined) return undefined;
        const checksums = new Map(
            [...inner.matchAll(/<Checksum(CRC32C?|CRC64NVME|SHA1|SHA256)>([^<]*)<\/Checksum\1>/g)].map(
                ([, algorithm, value]) => [algorithm.toLowerCase(), value.trim()],
            ),
        );
        parts.push({ number: Number(number), etag: etag.replace(/&quot;/g, '"'), checksums });
    }
    return parts;
}

/** Checksums as S3's documents name them (<ChecksumCRC32>…), from algorithm → value. */
export function checksumElements(checksums: ReadonlyMap<string, string>): string {
    return [...checksums]
        .map(([algorithm, value]) => {
            const tag = `Checksum${algorithm.toUpperCase()}`;
            return `<${tag}>${escapeXml(value)}</${tag}>`;
        })
        .join("");
}

export function xmlAnswer(root: string, inner: string): MultipartAnswer {
    return {
        status: 200,
        headers: { "content-type": "application/xml" },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</${root}>`,
    };
}

/** What ListParts tells of an upload and of each part. */
export interface ListedUpload {
    uploadId: string;
    bucket: string;
    key: string;
    checksum?: UploadChecksum;
    parts: { number: number; lastModified: Date; md5: string; size: number; checksums: ReadonlyMap<string, string> }[];
}

/** ListParts: the parts after part-number-marker, max-parts of them (at most 1,000), in part-number order. */
export function listPartsAnswer(upload: ListedUpload, query: URLSearchParams): S3Failure | { answer: MultipartAnswer } {
    const maxText = query.get("max-parts");
    const markerText = query.get("part-number-marker");
    const maxParts = maxText === null ? DEFAULT_MAX_PARTS_LISTED : Number(maxText);
    const marker = markerText === null ? 0 : Number(markerText);
    if (!Number.isInteger(maxParts) || maxParts < 0)
        return s3Failure(400, "InvalidArgument", "Argument max-parts must be an integer between 0 and 2147483647");
    if (!Number.isInteger(marker) || marker < 0)
        return s3Failure(
            400,
            "InvalidArgument",
            "Argument part-number-marker must be an integer between 0 and 2147483647",
        );
    const after = upload.parts.filter((part) => part.number > marker).sort((a, b) => a.number - b.number);
    const page = after.slice(0, Math.min(maxParts, DEFAULT_MAX_PARTS_LISTED));
    const truncated = after.length > page.length;
    const next = page.length > 0 ? page[page.length - 1].number : marker;
    const parts = page
        .map(
            (part) =>
                `<Part><PartNumber>${part.number}</PartNumber><LastModified>${part.lastModified.toISOString()}</LastModified>` +
                `<ETag>"${part.md5}"</ETag><Size>${part.size}</Size>${checksumElements(part.checksums)}</Part>`,
        )
        .join("");
    const checksum = upload.checksum
        ? `<ChecksumAlgorithm>${upload.checksum.algorithm.toUpperCase()}</ChecksumAlgorithm><ChecksumType>${upload.checksum.type}</ChecksumType>`
        : "";
    return {
        answer: xmlAnswer(
            "ListPartsResult",
            `<Bucket>${escapeXml(upload.bucket)}</Bucket><Key>${escapeXml(upload.key)}</Key><UploadId>${upload.uploadId}</UploadId>` +
                `<PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${next}</NextPartNumberMarker>` +
                `<MaxParts>${maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>${parts}<StorageClass>STANDARD</StorageClass>${checksum}`,
        ),
    };
}
