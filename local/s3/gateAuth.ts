// Who may use the local bucket, as S3 decides for a private bucket: a request signed with SigV4 in its query
// (a presigned URL) or in its Authorization header (the SDK clients), never both; a browser POST upload, whose
// signed policy is checked with its body (gateBody.ts); nothing anonymous.
import { isHeaderSigned, PayloadClaim, verifyHeaderSignedRequest } from "./headerAuthVerify";
import { S3Failure, s3Failure } from "./s3Failure";
import { isQuerySigned, LocalCredentials, ReceivedRequest, verifyPresignedRequest } from "./sigv4Verify";

/** How the request was let in: with a claim on its payload still to check against the body, or refused. */
export type Authentication = { payload: PayloadClaim } | { failure: S3Failure };

export function authenticate(
    received: ReceivedRequest,
    postForm: boolean,
    signer: { credentials: LocalCredentials; region: string; now: number },
): Authentication {
    const querySigned = isQuerySigned(received.query);
    const headerSigned = isHeaderSigned(received.headers);
    if (querySigned && headerSigned) {
        return {
            failure: s3Failure(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified",
            ),
        };
    }
    if (querySigned) {
        const failure = verifyPresignedRequest(received, signer.credentials, signer.now, signer.region);
        return failure ? { failure } : { payload: { kind: "unsigned" } };
    }
    if (headerSigned) return verifyHeaderSignedRequest(received, signer.credentials, signer.now, signer.region);
    // A private bucket: anonymous requests are refused, whatever the operation.
    if (!postForm) return { failure: s3Failure(403, "AccessDenied", "Access Denied") };
    return { payload: { kind: "unsigned" } };
}
