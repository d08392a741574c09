// Verifies a SigV4 query-signed (presigned) request as S3 does: recompute the signature from the request as
// received, with the real values of every signed header. Canonicalization is the AWS SDK's own (@smithy).
import { createHmac, createHash, timingSafeEqual } from "crypto";
import { getCanonicalHeaders, getCanonicalQuery } from "@smithy/signature-v4";
import { S3Failure, s3Failure } from "./s3Failure";

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

export function verifyPresignedRequest(request: ReceivedRequest, credentials: LocalCredentials, now: number): S3Failure | undefined {
    const q = request.query;
    const param = (name: string) => q.get(name) ?? "";
    const malformed = (message: string) => s3Failure(400, "AuthorizationQueryParametersError", message);

    if (param("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") return malformed("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
    const scope = parseCredentialScope(param("X-Amz-Credential"));
    if (!scope) return malformed("Error parsing the X-Amz-Credential parameter");
    if (scope.accessKeyId !== credentials.accessKeyId) {
        return s3Failure(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
    }
    const signedAt = parseAmzDate(param("X-Amz-Date"));
    if (Number.isNaN(signedAt)) return malformed("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    const expires = Number(param("X-Amz-Expires"));
    if (!/^\d+$/.test(param("X-Amz-Expires")) || expires < 1 || expires > MAX_EXPIRES_SECONDS) {
        return malformed("X-Amz-Expires must be a number from 1 to 604800");
    }
    if (now > signedAt + expires * 1000) return s3Failure(403, "AccessDenied", "Request has expired");
    if (signedAt > now + 15 * 60 * 1000) return s3Failure(403, "AccessDenied", "Request is not valid yet");

    const signedHeaderNames = param("X-Amz-SignedHeaders").split(";").filter(Boolean);
    if (!signedHeaderNames.includes("host")) return malformed("X-Amz-SignedHeaders must include host");
    const unsigned = Object.keys(request.headers).filter((name) => name.startsWith("x-amz-") && !signedHeaderNames.includes(name));
    if (unsigned.length > 0) {
        return s3Failure(403, "AccessDenied", `There were headers present in the request which were not signed: ${unsigned.join(", ")}`);
    }

    const signedHeaders: Record<string, string> = {};
    for (const name of signedHeaderNames) {
        const value = request.headers[name];
        signedHeaders[name] = Array.isArray(value) ? value.join(",") : value ?? "";
    }
    const canonicalHeaders = getCanonicalHeaders({ headers: signedHeaders } as never, new Set(), new Set(signedHeaderNames));
    const canonicalRequest = [
        request.method.toUpperCase(),
        request.rawPath,
        getCanonicalQuery({ query: queryRecord(q) } as never),
        ...signedHeaderNames.map((name) => `${name}:${canonicalHeaders[name] ?? ""}`),
        "",
        signedHeaderNames.join(";"),
        q.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD",
    ].join("\n");
    const stringToSign = [
        "AWS4-HMAC-SHA256",
        param("X-Amz-Date"),
        scope.scope,
        createHash("sha256").update(canonicalRequest).digest("hex"),
    ].join("\n");
    const expected = createHmac("sha256", signingKey(credentials.secretAccessKey, scope.shortDate, scope.region, scope.service))
        .update(stringToSign).digest();
    const received = Buffer.from(param("X-Amz-Signature"), "hex");
    if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
        return s3Failure(403, "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
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
