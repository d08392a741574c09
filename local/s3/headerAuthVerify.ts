// Verifies a SigV4 request signed in the Authorization header (what the SDK clients send) as S3 does:
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
// The payload hash (x-amz-content-sha256) is part of the signature; whether the body matches it is checked
// by payloadHashFailure once the body has been read.
import { createHash } from "crypto";
import {
    LocalCredentials,
    parseAmzDate,
    parseCredentialScope,
    ReceivedRequest,
    scopeFailure,
    signatureFailure,
} from "./sigv4Verify";
import { S3Failure, s3Failure, unknownAccessKey } from "./s3Failure";

/** S3 refuses a request whose signing time is more than 15 minutes from its own clock. */
const MAX_SKEW_MS = 15 * 60 * 1000;

export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

export function isHeaderSigned(headers: Record<string, string | string[] | undefined>): boolean {
    return typeof headers.authorization === "string";
}

/** How the body is covered: a hex SHA-256 to check against the body, or unsigned. */
export type PayloadClaim = { kind: "sha256"; hex: string } | { kind: "unsigned" };

export function verifyHeaderSignedRequest(
    request: ReceivedRequest,
    credentials: LocalCredentials,
    now: number,
    region: string,
): { failure: S3Failure } | { payload: PayloadClaim } {
    const fail = (failure: S3Failure) => ({ failure });
    const malformed = (message: string) => fail(s3Failure(400, "AuthorizationHeaderMalformed", message));
    const header = (name: string) => {
        const value = request.headers[name];
        return Array.isArray(value) ? value.join(",") : value;
    };

    const match = /^AWS4-HMAC-SHA256 (.*)$/s.exec(header("authorization") ?? "");
    if (!match) {
        return fail(
            s3Failure(400, "InvalidArgument", "Unsupported Authorization Type: only AWS4-HMAC-SHA256 is supported"),
        );
    }
    const parts = new Map<string, string>();
    for (const part of match[1].split(",")) {
        const at = part.indexOf("=");
        if (at > 0) parts.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
    }
    const credential = parts.get("Credential");
    const signedHeaderList = parts.get("SignedHeaders");
    const signature = parts.get("Signature");
    if (!credential || !signedHeaderList || !signature) {
        return malformed(
            "The authorization header is malformed; it must contain Credential, SignedHeaders and Signature.",
        );
    }
    const scope = parseCredentialScope(credential);
    if (!scope) return malformed("The authorization header is malformed; the Credential is mal-formed.");
    if (scope.accessKeyId !== credentials.accessKeyId) {
        return fail(unknownAccessKey());
    }
    const wrongScope = scopeFailure(scope, region, "AuthorizationHeaderMalformed");
    if (wrongScope) return fail(wrongScope);

    const amzDate = header("x-amz-date") ?? "";
    const signedAt = parseAmzDate(amzDate);
    if (Number.isNaN(signedAt)) {
        return fail(s3Failure(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"));
    }
    if (amzDate.slice(0, 8) !== scope.shortDate) {
        return malformed(
            "The authorization header is malformed; the date in the Credential does not match x-amz-date.",
        );
    }
    if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
        return fail(
            s3Failure(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            ),
        );
    }

    const payloadHash = header("x-amz-content-sha256");
    if (payloadHash === undefined) {
        return fail(s3Failure(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"));
    }
    let payload: PayloadClaim;
    if (payloadHash === UNSIGNED_PAYLOAD) payload = { kind: "unsigned" };
    else if (/^[0-9a-f]{64}$/.test(payloadHash)) payload = { kind: "sha256", hex: payloadHash };
    else if (payloadHash.startsWith("STREAMING-")) {
        // aws-chunked bodies would reach s3rver with their chunk framing and be stored as the object: refuse them.
        return fail(
            s3Failure(
                501,
                "NotImplemented",
                "The local S3 does not accept aws-chunked (STREAMING-*) payloads; send the body whole.",
            ),
        );
    } else {
        return fail(
            s3Failure(400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a SHA-256 hex digest"),
        );
    }

    const signedHeaderNames = signedHeaderList.split(";");
    if (!signedHeaderNames.includes("host"))
        return malformed("The authorization header is malformed; SignedHeaders must include host.");
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html: every x-amz-* header must be signed.
    const unsigned = Object.keys(request.headers).filter(
        (name) => name.startsWith("x-amz-") && !signedHeaderNames.includes(name),
    );
    if (unsigned.length > 0) {
        return fail(
            s3Failure(
                403,
                "AccessDenied",
                `There were headers present in the request which were not signed: ${unsigned.join(", ")}`,
            ),
        );
    }
    const failure = signatureFailure(
        {
            method: request.method,
            rawPath: request.rawPath,
            query: request.query,
            headers: request.headers,
            signedHeaderNames,
            payloadHash,
        },
        amzDate,
        scope,
        credentials,
        signature,
    );
    return failure ? fail(failure) : { payload };
}

/** XAmzContentSHA256Mismatch when the body read is not the one the signature covers. */
export function payloadHashFailure(payload: PayloadClaim, body: Buffer): S3Failure | undefined {
    if (payload.kind === "unsigned") return undefined;
    if (createHash("sha256").update(body).digest("hex") === payload.hex) return undefined;
    return s3Failure(
        400,
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
}
