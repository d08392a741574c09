// The key upload grants are signed with (functions/presign/uploadGrant.ts), on AWS: derived from an HMAC KMS key
// the stack makes (infra/upload/presignApi.ts). KMS computes HMAC-SHA256 of a fixed label under the KMS key; that 32-byte
// tag is the grant key. The key material never leaves KMS, nothing secret sits in the stack's state or the
// function's environment, and the role needs only kms:GenerateMac on that one key. GenerateMac is deterministic,
// so every instance of the function derives the same grant key; one call per cold start, kept while it runs.
// "You can also use the raw result to implement HMAC-based algorithms such as key derivation functions":
// https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html
import { GenerateMacCommand, KMSClient } from "@aws-sdk/client-kms";

export const GRANT_KEY_MAC_ALGORITHM = "HMAC_SHA_256";
const DERIVATION_LABEL = "image-pipeline upload grant key v1";

/** A source of the grant key: resolved when a grant is first made or checked. */
export type GrantKeySource = () => Promise<Buffer>;

export function kmsGrantKey(kms: Pick<KMSClient, "send">, keyId: string): GrantKeySource {
    let derived: Promise<Buffer> | undefined;
    return () => {
        derived ??= kms
            .send(
                new GenerateMacCommand({
                    KeyId: keyId,
                    MacAlgorithm: GRANT_KEY_MAC_ALGORITHM,
                    Message: Buffer.from(DERIVATION_LABEL),
                }),
            )
            .then(({ Mac }) => {
                if (!Mac || Mac.length < 32) throw new Error("KMS answered GenerateMac without a 256-bit MAC");
                return Buffer.from(Mac);
            })
            .catch((error: unknown) => {
                derived = undefined; // a throttled or failed call is tried again by the next request
                throw error;
            });
        return derived;
    };
}
