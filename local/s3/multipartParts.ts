// A multipart upload's parts in the local S3 (multipartUploads.ts carries out the operations): how a part is
// received (whole or not at all), which listed parts a CompleteMultipartUpload may assemble, and the assembled
// object, written to s3rver in one PUT, with S3's multipart ETag.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html (part numbers 1..10,000, parts 5 MiB to 5 GiB,
// the last part may be smaller); https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
import { createHash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import { Readable, Transform } from "stream";
import { pipeline } from "stream/promises";
import { ChecksumHasher } from "./checksumVerify";
import { UploadChecksum } from "./multipartChecksums";
import { ListedPart } from "./multipartXml";
import { S3Failure, s3Failure } from "./s3Failure";
import { MIN_PART_BYTES } from "../../functions/shared/s3PartLimits";

export interface Part {
    number: number;
    /** The part's MD5 in hex (its ETag without quotes). */
    md5: string;
    size: number;
    file: string;
    lastModified: Date;
    /** Its checksums (algorithm → base64): those it was sent with (verified against its bytes), and the upload's
     *  algorithm's, computed when it was not sent. */
    checksums: Map<string, string>;
}

export interface Upload {
    bucket: string;
    key: string;
    /** The headers the object is created with (Content-Type, Cache-Control, x-amz-meta-*...). */
    objectHeaders: Record<string, string>;
    parts: Map<number, Part>;
    folder: string;
    completing: boolean;
    /** The checksum algorithm and type it was created with, if any. */
    checksum?: UploadChecksum;
}

/**
 * Streams a part's bytes into `file`, hashing them on the way (MD5 for its ETag, and the upload's checksum when
 * `computed` is given); a part cut short removes the file and rejects.
 */
export async function receivePart(
    source: Readable,
    file: string,
    computed: ChecksumHasher | undefined,
): Promise<{ md5: string; size: number }> {
    const md5 = createHash("md5");
    let size = 0;
    try {
        await pipeline(
            source,
            new Transform({
                transform(chunk: Buffer, _encoding, callback) {
                    md5.update(chunk);
                    computed?.update(chunk);
                    size += chunk.length;
                    callback(null, chunk);
                },
            }),
            fs.createWriteStream(file),
        );
    } catch (error) {
        await fs.promises.rm(file, { force: true });
        throw error;
    }
    return { md5: md5.digest("hex"), size };
}

/** The parts a CompleteMultipartUpload lists, as S3 checks them: ascending, each uploaded with that ETag (and any
 *  checksum listed), all but the last at least 5 MiB. */
export function chosenParts(upload: Upload, listed: ListedPart[]): Part[] | S3Failure {
    const chosen: Part[] = [];
    for (const [index, { number, etag, checksums }] of listed.entries()) {
        if (index > 0 && number <= listed[index - 1].number)
            return s3Failure(
                400,
                "InvalidPartOrder",
                "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
            );
        const part = upload.parts.get(number);
        // S3 compares ETags without their quotes; a part checksum named in the list must be the part's own.
        if (
            !part ||
            part.md5 !== etag.replace(/"/g, "").toLowerCase() ||
            [...checksums].some(([algorithm, value]) => part.checksums.get(algorithm) !== value)
        )
            return s3Failure(
                400,
                "InvalidPart",
                "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
            );
        chosen.push(part);
    }
    if (chosen.slice(0, -1).some((part) => part.size < MIN_PART_BYTES))
        return s3Failure(
            400,
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed object size.",
        );
    return chosen;
}

/** S3's multipart ETag: the MD5 of the parts' binary MD5s, then "-" and the part count. */
export function multipartEtag(parts: Part[]): string {
    const md5s = Buffer.concat(parts.map((part) => Buffer.from(part.md5, "hex")));
    return `"${createHash("md5").update(md5s).digest("hex")}-${parts.length}"`;
}

/** The parts, in order, as one PUT to s3rver behind the gate: its store writes the object atomically. */
export function putAssembledObject(backendPort: number, upload: Upload, parts: Part[]): Promise<void> {
    const size = parts.reduce((sum, part) => sum + part.size, 0);
    return new Promise<void>((resolve, reject) => {
        const request = http.request(
            {
                host: "127.0.0.1",
                port: backendPort,
                method: "PUT",
                path: `/${encodeURIComponent(upload.bucket)}/${upload.key.split("/").map(encodeURIComponent).join("/")}`,
                headers: { ...upload.objectHeaders, "content-length": String(size) },
            },
            (answer) => {
                answer.resume();
                answer.on("end", () =>
                    (answer.statusCode ?? 500) < 300
                        ? resolve()
                        : reject(new Error(`s3rver answered ${answer.statusCode} to the assembled object`)),
                );
                answer.on("error", reject);
            },
        );
        request.on("error", reject);
        pipeline(
            Readable.from(
                (async function* () {
                    for (const part of parts) yield* fs.createReadStream(part.file);
                })(),
            ),
            request,
        ).catch(reject);
    });
}
