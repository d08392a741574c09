// Verifies a SigV4 query-signed (presigned) request as S3 does: recompute the signature from the request as
// received, with the real values of every signed header. Canonicalization is the AWS SDK's own (@smithy).
import { createHmac, createHash, timingSafeEqual } from "crypto";
import { getCanonicalHeaders, getCanonicalQuery } from "@smithy/signature-v4";
import { S3Failure, s3Failure, unknownAccessKey } from "./s3Failure";

export interface LocalCredentials {
    accessKeyId: string;
    secretAccessKey: string;
}

export interface ReceivedRequest {
    method: string;
    /** The path exactly as sent (still percent-encoded). */
    rawPath: string;
    query: URLSearchParams;
    /** Lower-cased names, as Node gives them. */
    headers: Record<string, string | string[] | undefined>;
}

const MAX_EXPIRES_SECONDS = 604800;

export function isQuerySigned(query: URLSearchParams): boolean {
    return query.has("X-Amz-Signature");
}

/** The signing key for a date, region and service (SigV4's HMAC chain). */
export function signingKey(secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
    const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
    return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, shortDate), region), service), "aws4_request");
}

/** Parses "AKID/20261121/us-east-1/s3/aws4_request"; undefined when malformed. */
export function parseCredentialScope(credential: string) {
    const parts = credential.split("/");
    if (parts.length !== 5 || parts[4] !== "aws4_request" || !/^\d{8}$/.test(parts[1])) return undefined;
    const [accessKeyId, shortDate, region, service] = parts;
    return { accessKeyId, shortDate, region, service, scope: parts.slice(1).join("/") };
}

/** Parses an ISO basic timestamp "20261121T121221Z" to epoch ms; NaN when malformed. */
export function parseAmzDate(value: string): number {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

/** The region and service every credential scope must name: a URL or header signed for another region fails here as it fails on AWS. */
export function scopeFailure(
    scope: { region: string; service: string },
    region: string,
    code: string,
): S3Failure | undefined {
    if (scope.region !== region)
        return s3Failure(
            400,
            code,
            `The authorization is malformed; the region '${quoteRegion(scope.region)}' is wrong; expecting '${region}'`,
        );
    if (scope.service !== "s3")
        return s3Failure(400, code, "The authorization is malformed; incorrect service, expecting 's3'");
    return undefined;
}

function quoteRegion(region: string): string {
    return region.replace(/[^\w-]/g, "?").slice(0, 64);
}

export function verifyPresignedRequest(
    request: ReceivedRequest,
    credentials: LocalCredentials,
    now: number,
    region: string,
): S3Failure | undefined {
    const q = request.query;
    const param = (name: string) => q.get(name) ?? "";
    const malformed = (message: string) => s3Failure(400, "AuthorizationQueryParametersError", message);

    if (param("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256")
        return malformed('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    const scope = parseCredentialScope(param("X-Amz-Credential"));
    if (!scope) return malformed("Error parsing the X-Amz-Credential parameter");
    if (scope.accessKeyId !== credentials.accessKeyId) {
        return unknownAccessKey();
    }
    const wrongScope = scopeFailure(scope, region, "AuthorizationQueryParametersError");
    if (wrongScope) return wrongScope;
    const signedAt = parseAmzDate(param("X-Amz-Date"));
    if (Number.isNaN(signedAt))
        return malformed("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    const expires = Number(param("X-Amz-Expires"));
    // S3 answers a negative or over-long X-Amz-Expires 400 and X-Amz-Expires=0 "Request has expired" (s3-tests
    // test_object_presigned_put_object_expired-style cases; https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
    if (!/^-?\d+$/.test(param("X-Amz-Expires")) || expires < 0) return malformed("X-Amz-Expires must be non-negative");
    if (expires > MAX_EXPIRES_SECONDS)
        return malformed(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
        );
    if (expires === 0 || now > signedAt + expires * 1000) return s3Failure(403, "AccessDenied", "Request has expired");
    if (signedAt > now + 15 * 60 * 1000) return s3Failure(403, "AccessDenied", "Request is not valid yet");

    const signedHeaderNames = param("X-Amz-SignedHeaders").split(";").filter(Boolean);
    if (!signedHeaderNames.includes("host")) return malformed("X-Amz-SignedHeaders must include host");
    const unsigned = Object.keys(request.headers).filter(
        (name) => name.startsWith("x-amz-") && !signedHeaderNames.includes(name),
    );
    if (unsigned.length > 0) {
        return s3Failure(
            403,
            "AccessDenied",
            `There were headers present in the request which were not signed: ${unsigned.join(", ")}`,
        );
    }

    const canonical = {
        method: request.method,
        rawPath: request.rawPath,
        query: q,
        headers: request.headers,
        signedHeaderNames,
        payloadHash: q.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD",
    };
    return signatureFailure(canonical, param("X-Amz-Date"), scope, credentials, param("X-Amz-Signature"));
}

export interface CanonicalInput {
    method: string;
    rawPath: string;
    /** Every query parameter but X-Amz-Signature is canonicalized. */
    query: URLSearchParams;
    headers: Record<string, string | string[] | undefined>;
    signedHeaderNames: string[];
    payloadHash: string;
}

/** SignatureDoesNotMatch unless the signature is the one computed from the request as received. */
export function signatureFailure(
    input: CanonicalInput,
    amzDate: string,
    scope: { accessKeyId?: string; shortDate: string; region: string; service: string; scope: string },
    credentials: LocalCredentials,
    signature: string,
): S3Failure | undefined {
    const signedHeaders: Record<string, string> = {};
    for (const name of input.signedHeaderNames) {
        const value = input.headers[name];
        signedHeaders[name] = Array.isArray(value) ? value.join(",") : (value ?? "");
    }
    const canonicalHeaders = getCanonicalHeaders(
        { headers: signedHeaders } as never,
        new Set(),
        new Set(input.signedHeaderNames),
    );
    const canonicalRequest = [
        input.method.toUpperCase(),
        input.rawPath,
        getCanonicalQuery({ query: queryRecord(input.query) } as never),
        ...input.signedHeaderNames.map((name) => `${name}:${canonicalHeaders[name] ?? ""}`),
        "",
        input.signedHeaderNames.join(";"),
        input.payloadHash,
    ].join("\n");
    const stringToSign = [
        "AWS4-HMAC-SHA256",
        amzDate,
        scope.scope,
        createHash("sha256").update(canonicalRequest).digest("hex"),
    ].join("\n");
    const expected = createHmac(
        "sha256",
        signingKey(credentials.secretAccessKey, scope.shortDate, scope.region, scope.service),
    )
        .update(stringToSign)
        .digest();
    const received = /^[0-9a-f]{64}$/.test(signature) ? Buffer.from(signature, "hex") : Buffer.alloc(0);
    if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
        return s3Failure(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        );
    }
    return undefined;
}

/** URLSearchParams → the record shape @smithy canonicalizes (repeated names become arrays). */
function queryRecord(query: URLSearchParams): Record<string, string | string[]> {
    const record: Record<string, string | string[]> = {};
    for (const [key, value] of query) {
        const existing = record[key];
        record[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    return record;
}
