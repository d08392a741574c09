// Signing and checking a CloudFront policy statement with a key pair: RSA over the statement's bytes, SHA-1 unless
// Hash-Algorithm=SHA256, in CloudFront's URL-safe base64. The presign function signs (functions/presign/
// signedUrlRoute.ts); local mode's CDN checks (local/cdn/signedUrlVerify.ts). Node only (crypto); the policy
// statements themselves are functions/shared/cloudfrontPolicy.ts's.
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-canned-policy.html
import { KeyObject, sign, verify } from "crypto";
import {
    cannedPolicy,
    fromCloudFrontBase64,
    SIGNED_URL_PARAMS,
    toCloudFrontBase64,
    withSigningParams,
} from "./cloudfrontPolicy";

export type PolicyHash = "sha1" | "sha256";

/** The Signature parameter for a policy statement: RSA (PKCS #1 v1.5) over its UTF-8 bytes. */
export function signPolicy(policy: string, privateKey: KeyObject, hash: PolicyHash = "sha1"): string {
    return toCloudFrontBase64(sign(hash, Buffer.from(policy, "utf8"), privateKey).toString("base64"));
}

/** Whether `signature` (CloudFront's URL-safe base64) is this key's signature of the statement. */
export function policySignatureMatches(
    policy: string,
    signature: string,
    publicKey: KeyObject,
    hash: PolicyHash = "sha1",
): boolean {
    const base64 = fromCloudFrontBase64(signature);
    if (base64 === undefined) return false;
    try {
        return verify(hash, Buffer.from(policy, "utf8"), publicKey, Buffer.from(base64, "base64"));
    } catch {
        return false; // not a signature this key could have made (e.g. the wrong length)
    }
}

export interface CannedUrlRequest {
    /** The URL as a viewer will request it, with its own query string if any (the policy's Resource). */
    url: string;
    /** Epoch seconds: the URL works before this instant only. */
    expiresAt: number;
    /** The CloudFront public key's ID, in the distribution's trusted key group. */
    keyPairId: string;
    privateKey: KeyObject;
}

/** A signed URL with a canned policy: the URL, then Expires, Signature and Key-Pair-Id. */
export function signCannedUrl(request: CannedUrlRequest): string {
    const signature = signPolicy(cannedPolicy(request.url, request.expiresAt), request.privateKey);
    return withSigningParams(request.url, [
        [SIGNED_URL_PARAMS.expires, String(request.expiresAt)],
        [SIGNED_URL_PARAMS.signature, signature],
        [SIGNED_URL_PARAMS.keyPairId, request.keyPairId],
    ]);
}
