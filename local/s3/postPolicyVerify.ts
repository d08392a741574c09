// Verifies a browser POST upload as S3 does: the policy's SigV4 signature, its expiration, every condition
// against the form fields and the file, and that no field goes uncovered by a condition.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
// SigV2 forms (AWSAccessKeyId + signature: HMAC-SHA1 of the policy) are refused, as by every bucket created after
// June 24, 2020 (https://docs.aws.amazon.com/AmazonS3/latest/API/Appendix-Sigv2.html); acceptSigV2 verifies them
// instead, as an older bucket does (Ceph's s3-tests sign every POST form that way: scripts/s3-tests.sh).
import { createHmac, timingSafeEqual } from "crypto";
import { LocalCredentials, parseCredentialScope, scopeFailure, signingKey } from "./sigv4Verify";
import { S3Failure, s3Failure, unknownAccessKey } from "./s3Failure";

export interface PostUpload {
    bucket: string;
    /** Form fields sent before the file (S3 ignores those after it), names as sent. */
    fields: Array<[string, string]>;
    fileSize: number;
}

/** Fields S3 does not require a condition for. */
const EXEMPT_FIELDS = new Set(["policy", "x-amz-signature", "signature", "awsaccesskeyid", "file"]);

/** The policy's expiration: ISO 8601 in UTC, e.g. 2007-12-01T12:00:00.000Z; anything else is an invalid policy. */
const EXPIRATION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

const NOT_AN_INTEGER = /[^0-9]/;

export function verifyPostUpload(
    upload: PostUpload,
    credentials: LocalCredentials,
    now: number,
    region: string,
    options: { acceptSigV2?: boolean } = {},
): S3Failure | undefined {
    const fields = new Map<string, string>();
    for (const [name, value] of upload.fields) fields.set(name.toLowerCase(), value);
    const field = (name: string) => fields.get(name.toLowerCase());
    const denied = (message: string) => s3Failure(403, "AccessDenied", message);
    const policyFailure = (message: string) => denied(`Invalid according to Policy: ${message}`);

    const policyBase64 = field("policy");
    const signatureV4 = field("x-amz-signature");
    const signatureV2 = field("signature");
    // No policy: an anonymous upload, which a private bucket refuses.
    if (!policyBase64) return denied("Access Denied");
    if (signatureV4 === undefined && signatureV2 === undefined) {
        return s3Failure(
            400,
            "InvalidArgument",
            "Bucket POST must contain a field named 'x-amz-signature' (or 'Signature' with 'AWSAccessKeyId').",
        );
    }
    const signatureMismatch = s3Failure(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    );
    const equal = (received: Buffer, expected: Buffer) =>
        received.length === expected.length && timingSafeEqual(received, expected);
    if (signatureV4 !== undefined) {
        if (field("x-amz-algorithm") !== "AWS4-HMAC-SHA256") {
            return s3Failure(400, "InvalidArgument", "x-amz-algorithm must be AWS4-HMAC-SHA256");
        }
        const scope = parseCredentialScope(field("x-amz-credential") ?? "");
        if (!scope) return s3Failure(400, "InvalidArgument", "Invalid x-amz-credential");
        if (scope.accessKeyId !== credentials.accessKeyId) {
            return unknownAccessKey();
        }
        const wrongScope = scopeFailure(scope, region, "AuthorizationQueryParametersError");
        if (wrongScope) return wrongScope;
        const expected = createHmac(
            "sha256",
            signingKey(credentials.secretAccessKey, scope.shortDate, scope.region, scope.service),
        )
            .update(policyBase64)
            .digest();
        if (!/^[0-9a-f]{64}$/.test(signatureV4) || !equal(Buffer.from(signatureV4, "hex"), expected))
            return signatureMismatch;
    } else if (!options.acceptSigV2) {
        return s3Failure(
            400,
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
        );
    } else {
        const accessKeyId = field("awsaccesskeyid");
        if (!accessKeyId)
            return s3Failure(400, "InvalidArgument", "Bucket POST must contain a field named 'AWSAccessKeyId'.");
        if (accessKeyId !== credentials.accessKeyId) {
            return unknownAccessKey();
        }
        const expected = createHmac("sha1", credentials.secretAccessKey).update(policyBase64).digest();
        if (!equal(Buffer.from(signatureV2 ?? "", "base64"), expected)) return signatureMismatch;
    }

    let policy: { expiration?: unknown; conditions?: unknown };
    try {
        policy = JSON.parse(Buffer.from(policyBase64, "base64").toString("utf8"));
    } catch {
        return s3Failure(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.");
    }
    const expiration =
        typeof policy.expiration === "string" && EXPIRATION.test(policy.expiration)
            ? Date.parse(policy.expiration)
            : NaN;
    if (Number.isNaN(expiration) || !Array.isArray(policy.conditions)) {
        return s3Failure(400, "InvalidPolicyDocument", "Invalid Policy: expiration and conditions are required.");
    }
    if (now > expiration) return policyFailure("Policy expired.");
    if (field("key") === undefined)
        return s3Failure(400, "InvalidArgument", "Bucket POST must contain a field named 'key'.");

    const fieldValue = (name: string) => (name === "bucket" ? upload.bucket : (field(name) ?? ""));
    const covered = new Set<string>();
    for (const condition of policy.conditions as unknown[]) {
        const failed = () => policyFailure(`Policy Condition failed: ${JSON.stringify(condition)}`);
        if (Array.isArray(condition)) {
            const [rawOperator, subject, operand] = condition;
            // Operators match case-insensitively, as field names do (s3-tests test_post_object_case_insensitive_condition_fields).
            const operator = typeof rawOperator === "string" ? rawOperator.toLowerCase() : rawOperator;
            if (operator === "content-length-range") {
                // Both bounds, as non-negative integers (JSON numbers or digit strings), or the policy is invalid.
                const bound = (value: unknown) =>
                    (typeof value === "number" && Number.isInteger(value) && value >= 0) ||
                    (typeof value === "string" && value !== "" && !NOT_AN_INTEGER.test(value));
                if (condition.length !== 3 || !bound(subject) || !bound(operand)) {
                    return s3Failure(
                        400,
                        "InvalidPolicyDocument",
                        `Invalid Policy: Invalid content-length-range ${JSON.stringify(condition)}`,
                    );
                }
                const [min, max] = [Number(subject), Number(operand)];
                if (upload.fileSize < min)
                    return s3Failure(
                        400,
                        "EntityTooSmall",
                        "Your proposed upload is smaller than the minimum allowed size",
                    );
                if (upload.fileSize > max)
                    return s3Failure(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
                continue;
            }
            if (typeof subject !== "string" || !subject.startsWith("$") || typeof operand !== "string") {
                return s3Failure(
                    400,
                    "InvalidPolicyDocument",
                    `Invalid Policy: Invalid condition ${JSON.stringify(condition)}`,
                );
            }
            const name = subject.slice(1).toLowerCase();
            covered.add(name);
            if (operator === "eq" && fieldValue(name) !== operand) return failed();
            else if (operator === "starts-with" && !fieldValue(name).startsWith(operand)) return failed();
            else if (operator !== "eq" && operator !== "starts-with") {
                return s3Failure(
                    400,
                    "InvalidPolicyDocument",
                    `Invalid Policy: Unknown operator ${JSON.stringify(operator)}`,
                );
            }
        } else if (condition && typeof condition === "object" && Object.keys(condition).length === 1) {
            const [[name, value]] = Object.entries(condition);
            covered.add(name.toLowerCase());
            if (fieldValue(name.toLowerCase()) !== value) return failed();
        } else {
            return s3Failure(
                400,
                "InvalidPolicyDocument",
                `Invalid Policy: Invalid condition ${JSON.stringify(condition)}`,
            );
        }
    }

    // A flexible checksum field needs no condition: it is checked against the file itself (s3-tests test_post_object_upload_checksum).
    const extra = [...fields.keys()].filter(
        (name) =>
            !EXEMPT_FIELDS.has(name) &&
            !name.startsWith("x-ignore-") &&
            !name.startsWith("x-amz-checksum-") &&
            !covered.has(name),
    );
    if (extra.length > 0) return policyFailure(`Extra input fields: ${extra.join(", ")}`);
    return undefined;
}
