// Multipart uploads in the local S3, carried out by the gate itself (after it has checked the signature and any
// body checksum), because s3rver 3.7 gets them wrong where S3 is strict:
// - it has no ListParts (GET ?uploadId), no AbortMultipartUpload (DELETE ?uploadId), no ListMultipartUploads;
// - UploadPart stores a part for any uploadId, under any key, with any part number (joined into a file path);
// - CompleteMultipartUpload takes the key from its upload record, not the request, ignores the ETags, the order and
//   the 5 MiB minimum part size, and answers the plain MD5 as ETag.
// Here: an upload belongs to one bucket and key; parts 1..10000; a part replaces an earlier one of its number only
// once it has fully arrived; Complete checks order, ETags, sizes and checksums (local/s3/multipartChecksums.ts),
// then writes the object in one step (s3rver's putObject, made atomic by atomicStore.ts) and forgets the upload;
// Abort drops it. Uploads live in memory: a restart of local mode forgets them (S3 keeps them until the lifecycle
// rule aborts them).
// Rules: https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html,
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html ("Error codes"),
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html (part numbers 1..10,000, parts 5 MiB to 5 GiB,
// the last part may be smaller).
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { Readable } from "stream";
import { readRequestBody } from "../../functions/shared/httpEvent";
import { checksumClaims, checksumHasher } from "./checksumVerify";
import { completionHeaderFailure, createdChecksum, objectChecksum, partChecksumFailure } from "./multipartChecksums";
import { checksumElements, completeParts, listPartsAnswer, MultipartAnswer, xmlAnswer } from "./multipartXml";
import { escapeXml as xml, S3Failure, s3Failure } from "./s3Failure";
import { conditionalHeader } from "./gateRequest";
import { MAX_PART_BYTES, MAX_PART_NUMBER } from "../../functions/shared/s3PartLimits";
import { chosenParts, multipartEtag, Part, putAssembledObject, receivePart, Upload } from "./multipartParts";

/** The body of a CompleteMultipartUpload naming 10,000 parts stays well under this. */
const MAX_COMPLETE_BODY_BYTES = 2 * 1024 * 1024;

export type MultipartOperation = "create" | "uploadPart" | "listParts" | "complete" | "abort";

/** Which multipart operation an object-level request is, if any. */
export function multipartOperation(method: string, query: URLSearchParams): MultipartOperation | undefined {
    if (method === "POST" && query.has("uploads")) return "create";
    if (!query.has("uploadId")) return undefined;
    if (method === "PUT") return "uploadPart";
    if (method === "GET") return "listParts";
    if (method === "POST") return "complete";
    if (method === "DELETE") return "abort";
    return undefined;
}

export type { MultipartAnswer };

/** What a completed upload wrote: the caller announces it (events, variant clean-up). */
export interface CompletedObject {
    bucket: string;
    key: string;
}

export interface MultipartRequest {
    operation: MultipartOperation;
    bucket: string;
    key: string;
    query: URLSearchParams;
    req: http.IncomingMessage;
    /** The body, when the gate already read it (a signed payload hash or a checksum to verify). */
    body?: Buffer;
    /** UploadPart: the x-amz-checksum-* values the gate verified against the body. */
    checksums?: ReadonlyMap<string, string>;
}

/** Headers of CreateMultipartUpload that the object keeps (as PutObject's would). */
const OBJECT_HEADERS =
    /^(content-type|content-disposition|content-encoding|content-language|cache-control|expires|x-amz-meta-.+)$/;

export class MultipartUploads {
    private readonly uploads = new Map<string, Upload>();
    private readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "image-pipeline-multipart-"));

    constructor(
        private readonly backendPort: number,
        /** Whether a conditional write (If-None-Match: *) finds the key taken. */
        private readonly exists: (bucket: string, key: string) => Promise<boolean>,
        /** Whether s3rver has the bucket (an upload into another is refused at create, as S3 does). */
        private readonly bucketExists: (bucket: string) => Promise<boolean>,
    ) {}

    /** Carries out one operation; a refusal is an S3Failure, a success the answer (and, for Complete, the object). */
    async handle(
        request: MultipartRequest,
    ): Promise<S3Failure | { answer: MultipartAnswer; created?: CompletedObject }> {
        if (request.operation === "create") {
            if (!(await this.bucketExists(request.bucket)))
                return s3Failure(404, "NoSuchBucket", "The specified bucket does not exist");
            return this.create(request);
        }
        const uploadId = request.query.get("uploadId") ?? "";
        const upload = this.uploads.get(uploadId);
        if (!upload || upload.bucket !== request.bucket || upload.key !== request.key || upload.completing) {
            return s3Failure(
                404,
                "NoSuchUpload",
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
            );
        }
        switch (request.operation) {
            case "uploadPart":
                return this.uploadPart(upload, request);
            case "listParts":
                return listPartsAnswer({ uploadId, ...upload, parts: [...upload.parts.values()] }, request.query);
            case "complete":
                return this.complete(uploadId, upload, request);
            case "abort":
                await this.forget(uploadId, upload);
                return { answer: { status: 204 } };
        }
    }

    async close(): Promise<void> {
        this.uploads.clear();
        await fs.promises.rm(this.root, { recursive: true, force: true });
    }

    private async create(request: MultipartRequest): Promise<S3Failure | { answer: MultipartAnswer }> {
        const created = createdChecksum(request.req.headers);
        if ("code" in created) return created;
        const uploadId = randomBytes(48).toString("base64url");
        const folder = path.join(this.root, createHash("sha256").update(uploadId).digest("hex"));
        await fs.promises.mkdir(folder);
        const objectHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.req.headers)) {
            if (OBJECT_HEADERS.test(name) && typeof value === "string") objectHeaders[name] = value;
        }
        this.uploads.set(uploadId, {
            bucket: request.bucket,
            key: request.key,
            objectHeaders,
            parts: new Map(),
            folder,
            completing: false,
            checksum: created.checksum,
        });
        const answer = xmlAnswer(
            "InitiateMultipartUploadResult",
            `<Bucket>${xml(request.bucket)}</Bucket><Key>${xml(request.key)}</Key><UploadId>${uploadId}</UploadId>`,
        );
        if (created.checksum)
            answer.headers = {
                ...answer.headers,
                "x-amz-checksum-algorithm": created.checksum.algorithm.toUpperCase(),
                "x-amz-checksum-type": created.checksum.type,
            };
        return { answer };
    }

    private async uploadPart(upload: Upload, request: MultipartRequest) {
        const numberText = request.query.get("partNumber") ?? "";
        const number = /^\d{1,5}$/.test(numberText) ? Number(numberText) : NaN;
        if (!(number >= 1 && number <= MAX_PART_NUMBER)) {
            return s3Failure(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
        }
        const declared = request.req.headers["content-length"];
        if (request.body === undefined && declared === undefined)
            return s3Failure(411, "MissingContentLength", "You must provide the Content-Length HTTP header.");
        if (Number(declared) > MAX_PART_BYTES)
            return s3Failure(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
        const claims = request.checksums ?? new Map<string, string>();
        const checksumFailure = partChecksumFailure(upload.checksum, claims);
        if (checksumFailure) return checksumFailure;
        // S3 computes the upload's checksum of a part sent without it.
        const algorithm = upload.checksum?.algorithm;
        const computed = algorithm && !claims.has(algorithm) ? checksumHasher(algorithm) : undefined;
        // Written beside the current part and renamed over it only when whole: a cut upload keeps the old part.
        const temporary = path.join(upload.folder, `.${randomBytes(8).toString("hex")}`);
        const { md5, size } = await receivePart(
            request.body ? Readable.from([request.body]) : request.req,
            temporary,
            computed,
        );
        if (declared !== undefined && size !== Number(declared)) {
            await fs.promises.rm(temporary, { force: true });
            return s3Failure(
                400,
                "IncompleteBody",
                "You did not provide the number of bytes specified by the Content-Length HTTP header",
            );
        }
        if (!this.uploads.has(request.query.get("uploadId") ?? "") || upload.completing) {
            // Aborted or completed while the part was arriving.
            await fs.promises.rm(temporary, { force: true });
            return s3Failure(404, "NoSuchUpload", "The specified upload does not exist.");
        }
        const file = path.join(upload.folder, String(number));
        await fs.promises.rename(temporary, file);
        const part: Part = {
            number,
            md5,
            size,
            file,
            lastModified: new Date(),
            checksums: new Map(claims),
        };
        if (algorithm && computed) part.checksums.set(algorithm, (await computed.digest()).toString("base64"));
        upload.parts.set(number, part);
        const checksumHeaders = Object.fromEntries(
            [...part.checksums].map(([name, value]) => [`x-amz-checksum-${name}`, value]),
        );
        return { answer: { status: 200, headers: { etag: `"${part.md5}"`, ...checksumHeaders } } };
    }

    private async complete(uploadId: string, upload: Upload, request: MultipartRequest) {
        const body = request.body ?? (await readRequestBody(request.req, MAX_COMPLETE_BODY_BYTES));
        if (!body) return s3Failure(400, "MaxMessageLengthExceeded", "Your request was too big.");
        const listed = completeParts(body.toString("utf8"));
        if (!listed || listed.length === 0)
            return s3Failure(
                400,
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            );
        // CompleteMultipartUpload's checksum headers are the object's checksum, not its XML body's.
        const claims = checksumClaims(request.query, request.req.headers);
        const headerFailure = completionHeaderFailure(upload.checksum, request.req.headers, claims);
        if (headerFailure) return headerFailure;
        const chosen = chosenParts(upload, listed);
        if ("code" in chosen) return chosen;
        const checksum = await objectChecksum(
            upload.checksum,
            claims,
            chosen.map((part, index) => ({ ...part, listed: listed[index].checksums })),
        );
        if ("code" in checksum) return checksum;
        if (
            conditionalHeader(request.req.headers["if-none-match"]) === "*" &&
            (await this.exists(upload.bucket, upload.key))
        )
            return s3Failure(
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
            );
        upload.completing = true;
        try {
            await putAssembledObject(this.backendPort, upload, chosen);
        } catch (error) {
            upload.completing = false;
            throw error;
        }
        await this.forget(uploadId, upload);
        const etag = multipartEtag(chosen);
        const host = request.req.headers.host ?? "127.0.0.1";
        const location = `http://${host}/${encodeURIComponent(upload.bucket)}/${upload.key.split("/").map(encodeURIComponent).join("/")}`;
        return {
            answer: xmlAnswer(
                "CompleteMultipartUploadResult",
                `<Location>${xml(location)}</Location><Bucket>${xml(upload.bucket)}</Bucket><Key>${xml(upload.key)}</Key><ETag>${xml(etag)}</ETag>` +
                    (upload.checksum && checksum.value
                        ? `${checksumElements(new Map([[upload.checksum.algorithm, checksum.value]]))}<ChecksumType>${upload.checksum.type}</ChecksumType>`
                        : ""),
            ),
            created: { bucket: upload.bucket, key: upload.key },
        };
    }

    private async forget(uploadId: string, upload: Upload): Promise<void> {
        this.uploads.delete(uploadId);
        await fs.promises.rm(upload.folder, { recursive: true, force: true });
    }
}
