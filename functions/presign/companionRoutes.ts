// The signing routes Uppy's S3 plugin calls when it is given an API instead of credentials: Companion's /s3 routes,
// with this API's limits (types, sizes, keys chosen here, the caller's own uploads only).
//
// What @uppy/aws-s3 6.3 sends with `companionEndpoint: "<api>"` (its src/s3-client/CompanionS3.ts; Companion's
// server side: packages/@uppy/companion/src/server/controllers/s3.ts, github.com/transloadit/uppy). Uppy 6 calls the
// option `companionEndpoint` (Uppy 3-4 called it `endpoint`); every request is a plain fetch, without credentials
// or an Authorization header, and any status but 2xx fails the step. Hence, behind a JWT authorizer, Uppy reaches
// these routes under an upload grant (<api>/g/<grant>/s3/..., functions/presign/grantRoutes.ts): the caller is the
// grant's, not a JWT's.
//   GET    /s3/params?filename=<name>&type=<mime>&metadata[<k>]=<v>   (files Uppy does not send in parts)
//          → { method: "POST", url, fields, expires }: Uppy POSTs a form of `fields` + `file` to `url`; `fields.key`
//          is the object's key.
//   POST   /s3/multipart  { filename, type, metadata }               → { key, uploadId }
//   GET    /s3/multipart/<uploadId>/<partNumber>?key=<key>           → { url, expires }: Uppy PUTs the part's bytes
//          to `url` and needs the answer's ETag header (the bucket's CORS rule exposes it).
//   GET    /s3/multipart/<uploadId>?key=<key>                        → [{ PartNumber, ETag, Size }] (to resume)
//   POST   /s3/multipart/<uploadId>/complete?key=<key>  { parts: [{ PartNumber, ETag }] } → { location, key }
//          (`location` and `key` become the file's upload-success body).
//   DELETE /s3/multipart/<uploadId>?key=<key>                        → {}
// `uploadId` travels through encodeURIComponent, `key` through URLSearchParams. Uppy's defaults: multipart only for
// files over 100 MiB (`shouldUseMultipart`; set it to `true` or a function to use it for smaller files), parts of
// max(5 MiB, ceil(size / 10000)) bytes (`getChunkSize`), sent one after another per file, `limit` 6 files at once.
// A failed part leaves the upload in S3: Uppy's retry lists the parts and sends only the missing ones.
//
// Who may touch an upload: the answer to create names the object key (incoming/<id>.<ext>, chosen here as for a
// single upload) and S3's uploadId; every later route needs both. The key must be a staging key this API hands out
// and, with the JWT authorizer, under the caller's own prefix (incoming/<sub>/...): another caller's key is refused
// here (403). S3 itself binds an uploadId to its key (another upload's id with one's own key is NoSuchUpload, 404),
// and an uploadId is long and random, so without auth the pair is the capability: only its creator was given it. No
// signed token is kept: it would need a secret to manage, and it would add nothing the key prefix and S3's binding
// do not already give. Nor is ListMultipartUploads asked: s3:ListBucketMultipartUploads has no s3:prefix condition
// key (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html), so the role could
// then list every unfinished upload in the bucket; ListParts and Abort name the key, which IAM can limit to incoming/. A finished or aborted upload is gone in S3 (404); an unfinished one is aborted by the
// bucket's lifecycle rule a day after it began (infra/storage/imageBucket.ts), which ends its usable life.
//
// Size: S3 cannot cap a multipart upload by signature. So the declared total (metadata.size or size) is checked at
// create, part numbers are signed only up to ceil(maxUploadBytes / 5 MiB) (S3's minimum part size for all parts but
// the last: https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html), and complete adds up the parts'
// real sizes from ListParts: over the cap, the upload is aborted and the answer is 400.
import {
    AbortMultipartUploadCommand,
    CompleteMultipartUploadCommand,
    CreateMultipartUploadCommand,
    ListPartsCommand,
    S3Client,
    UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { parseStagingKey } from "../shared/bucketLayout";
import { HttpError, HttpEvent, methodNotAllowed, RouteAnswer } from "../shared/http";
import type { ImageContentType } from "../shared/imageTypes";
import { quoteInput } from "../shared/quoteInput";
import { MAX_PART_NUMBER, MIN_PART_BYTES } from "../shared/s3PartLimits";
import type { PresignSettings } from "./settings";
import { declaredSize, parseBody, typeForContentType, UploadLimits } from "./uploadRequest";
import type { UploadSigner } from "./uploadSigning";

/** Companion allows 1 MB for complete (10,000 parts); ours is sized to the parts this API signs. */
const PART_ENTRY_BYTES = 128;
const BASE_BODY_BYTES = 8 * 1024;
/** S3's upload ids are URL-safe text; anything else cannot be one (and never reaches S3). */
const UPLOAD_ID_PATTERN = /^[A-Za-z0-9._~-]{1,1024}$/;
const CREATE_FIELDS = ["filename", "type", "metadata", "size"];

/** The most part numbers this API signs for one upload: enough for maxUploadBytes in 5 MiB parts. */
export function maxPartNumber(maxUploadBytes: number): number {
    return Math.min(MAX_PART_NUMBER, Math.ceil(maxUploadBytes / MIN_PART_BYTES));
}

/** The same limits and signing as the /uploads routes (uploadRequest.ts, uploadSigning.ts). */
export interface CompanionRouteDeps {
    s3: S3Client;
    settings: PresignSettings;
    now: () => number;
    limits: UploadLimits;
    signer: UploadSigner;
    /** The caller's key prefix ("" without auth; the grant's owner under a grant): uploadOwner.ts. */
    ownerSegment(event: HttpEvent): string;
}

export function companionRoutes(
    deps: CompanionRouteDeps,
): (event: HttpEvent, method: string, path: string) => Promise<RouteAnswer> {
    const { s3, settings, limits } = deps;
    const maxParts = maxPartNumber(settings.maxUploadBytes);

    /** A content type as the JSON routes read it (aliases, 400 unknown), then checked against allowedContentTypes. */
    function allowedType(value: unknown): ImageContentType {
        if (typeof value !== "string" || value === "")
            throw new HttpError(400, "missing_type", 'Send the file\'s type, such as "image/png"');
        return limits.allowed(typeForContentType(value));
    }

    async function params(event: HttpEvent): Promise<RouteAnswer> {
        const query = new URLSearchParams(event.rawQueryString ?? "");
        const type = allowedType(query.get("type") ?? undefined);
        const size = query.get("metadata[size]");
        limits.checkedSize(size === null ? undefined : declaredSize(size, "size", true)); // the policy caps it anyway
        const signed = await deps.signer.signPost(type, event);
        return {
            status: 200,
            body: {
                method: "POST",
                url: signed.uploadUrl,
                fields: signed.fields,
                expires: settings.expiresIn,
                key: signed.key,
                statusUrl: signed.statusUrl,
            },
        };
    }

    async function create(event: HttpEvent): Promise<RouteAnswer> {
        const body = parseBody(event, BASE_BODY_BYTES);
        const unknown = Object.keys(body).filter((field) => !CREATE_FIELDS.includes(field));
        if (unknown.length > 0)
            throw new HttpError(
                400,
                "unknown_field",
                `Unknown field ${quoteInput(unknown[0])}; send type, and size (or metadata.size)`,
            );
        const { metadata } = body;
        if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)))
            throw new HttpError(400, "invalid_body", "metadata must be an object");
        const declared = body.size ?? (metadata as Record<string, unknown> | undefined)?.size;
        const type = allowedType(body.type);
        const size = declared === undefined ? undefined : declaredSize(declared, "size", true);
        limits.requireSize(size, " as metadata.size");
        limits.checkedSize(size);
        const { stagingKey, key, statusUrl } = deps.signer.newUpload(type, event);
        const created = await s3.send(
            new CreateMultipartUploadCommand({ Bucket: settings.bucket, Key: stagingKey, ContentType: type }),
        );
        return {
            status: 200,
            body: { key: stagingKey, uploadId: created.UploadId, finalKey: key, statusUrl, maxParts },
        };
    }

    async function signPart(event: HttpEvent, uploadId: string, partText: string): Promise<RouteAnswer> {
        const key = ownedKey(event);
        const partNumber = /^\d{1,5}$/.test(partText) ? Number(partText) : NaN;
        if (!(partNumber >= 1 && partNumber <= maxParts))
            throw new HttpError(
                400,
                "invalid_part_number",
                `Part numbers are 1 to ${maxParts} (${settings.maxUploadBytes} bytes in parts of at least ${MIN_PART_BYTES})`,
            );
        const url = await getSignedUrl(
            s3,
            new UploadPartCommand({ Bucket: settings.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber }),
            { expiresIn: settings.expiresIn, signingDate: new Date(deps.now()) },
        );
        return { status: 200, body: { url, expires: settings.expiresIn } };
    }

    async function listParts(key: string, uploadId: string) {
        const parts: { PartNumber: number; ETag: string; Size: number }[] = [];
        let marker: string | undefined;
        do {
            const page = await s3.send(
                new ListPartsCommand({
                    Bucket: settings.bucket,
                    Key: key,
                    UploadId: uploadId,
                    PartNumberMarker: marker,
                }),
            );
            for (const part of page.Parts ?? [])
                parts.push({ PartNumber: part.PartNumber!, ETag: part.ETag!, Size: part.Size! });
            marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
        } while (marker);
        return parts;
    }

    async function complete(event: HttpEvent, uploadId: string): Promise<RouteAnswer> {
        const key = ownedKey(event);
        const named = completeParts(parseBody(event, BASE_BODY_BYTES + PART_ENTRY_BYTES * maxParts), maxParts);
        const sizes = new Map((await listParts(key, uploadId)).map((part) => [part.PartNumber, part.Size]));
        // The object is the named parts (S3 refuses a named part it does not hold): their real sizes add up to it.
        const total = named.reduce((sum, part) => sum + (sizes.get(part.PartNumber) ?? 0), 0);
        if (total > settings.maxUploadBytes) {
            await s3.send(new AbortMultipartUploadCommand({ Bucket: settings.bucket, Key: key, UploadId: uploadId }));
            throw new HttpError(
                400,
                "too_large",
                `The parts add up to ${total} bytes; at most ${settings.maxUploadBytes} bytes may be uploaded. The upload was aborted`,
            );
        }
        await s3.send(
            new CompleteMultipartUploadCommand({
                Bucket: settings.bucket,
                Key: key,
                UploadId: uploadId,
                MultipartUpload: { Parts: named },
            }),
        );
        const finalKey = parseStagingKey(key)!.finalKey;
        return {
            status: 200,
            body: { location: `${settings.cdnUrl}/${finalKey}`, key: finalKey, stagingKey: key },
        };
    }

    /** The ?key= of a route: a staging key this API hands out, and the caller's own (its owner prefix). */
    function ownedKey(event: HttpEvent): string {
        const key = new URLSearchParams(event.rawQueryString ?? "").get("key");
        if (!key) throw new HttpError(400, "missing_key", "Send the upload's key as ?key= (the key create answered)");
        const parsed = parseStagingKey(key);
        if (!parsed)
            throw new HttpError(400, "invalid_key", `${quoteInput(key)} is not an upload key this API hands out`);
        const owner = deps.ownerSegment(event);
        const ownerOfKey = parsed.id.includes("/") ? `${parsed.id.slice(0, parsed.id.lastIndexOf("/"))}/` : "";
        if (ownerOfKey !== owner) throw new HttpError(403, "not_your_upload", "This upload belongs to another caller");
        return key;
    }

    return async (event, method, path) => {
        const segments = path.split("/").slice(2); // "/s3/multipart/<id>/..." → ["multipart", "<id>", ...]
        if (segments.length === 1 && segments[0] === "params") {
            if (method !== "GET") throw methodNotAllowed("GET");
            return params(event);
        }
        if (segments[0] !== "multipart" || segments.length > 3)
            throw new HttpError(404, "not_found", "No such route under /s3 (Uppy's S3 plugin routes)");
        if (segments.length === 1) {
            if (method !== "POST") throw methodNotAllowed("POST");
            return create(event);
        }
        const uploadId = decodedUploadId(segments[1]);
        try {
            if (segments.length === 3) {
                if (segments[2] === "complete") {
                    if (method !== "POST") throw methodNotAllowed("POST");
                    return await complete(event, uploadId);
                }
                if (method !== "GET") throw methodNotAllowed("GET");
                return await signPart(event, uploadId, segments[2]);
            }
            if (method === "GET") return { status: 200, body: await listParts(ownedKey(event), uploadId) };
            if (method === "DELETE") {
                const key = ownedKey(event);
                await s3.send(
                    new AbortMultipartUploadCommand({ Bucket: settings.bucket, Key: key, UploadId: uploadId }),
                );
                return { status: 200, body: {} };
            }
            throw methodNotAllowed("GET, DELETE");
        } catch (error) {
            throw s3Refusal(error);
        }
    };
}

/** S3's answers about an upload as ours: unknown (404) or parts it refuses (400); anything else as it is. */
function s3Refusal(error: unknown): unknown {
    const name = (error as { name?: string }).name;
    if (name === "NoSuchUpload")
        return new HttpError(404, "unknown_upload", "No such upload for this key (finished, aborted or never begun)");
    if (name === "InvalidPart" || name === "InvalidPartOrder" || name === "EntityTooSmall")
        return new HttpError(
            400,
            "invalid_parts",
            `S3 refused the parts (${name}): name each uploaded part once, in order, with its ETag; all parts but the last must be at least ${MIN_PART_BYTES} bytes`,
        );
    return error;
}

function decodedUploadId(segment: string): string {
    let uploadId: string;
    try {
        uploadId = decodeURIComponent(segment);
    } catch {
        uploadId = "";
    }
    if (!UPLOAD_ID_PATTERN.test(uploadId))
        throw new HttpError(400, "invalid_upload_id", "The uploadId is not one S3 hands out");
    return uploadId;
}

/** The { parts: [{ PartNumber, ETag }] } of complete: 1..maxParts entries, numbers in range, ETags as S3 gives them. */
function completeParts(body: Record<string, unknown>, maxParts: number): { PartNumber: number; ETag: string }[] {
    const { parts } = body;
    if (!Array.isArray(parts) || parts.length === 0 || parts.length > maxParts)
        throw new HttpError(
            400,
            "invalid_parts",
            `parts must be a list of 1 to ${maxParts} { "PartNumber", "ETag" } objects`,
        );
    return parts.map((part) => {
        const { PartNumber, ETag } = (part ?? {}) as Record<string, unknown>;
        if (
            typeof PartNumber !== "number" ||
            !Number.isInteger(PartNumber) ||
            PartNumber < 1 ||
            PartNumber > maxParts ||
            typeof ETag !== "string" ||
            !/^"?[0-9a-fA-F-]{1,64}"?$/.test(ETag)
        )
            throw new HttpError(
                400,
                "invalid_parts",
                `Each part is { "PartNumber": 1..${maxParts}, "ETag": the ETag S3 answered for it }`,
            );
        return { PartNumber, ETag };
    });
}
