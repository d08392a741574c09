// The private key the signing route signs CloudFront URLs with (privateDelivery). On AWS it is a Secrets Manager
// secret the stack made (infra/delivery/urlSigningKey.ts: encrypted under its own KMS key, readable by this
// function's role alone among the stack's). It is read once per cold start, on the first signing request, and kept
// while the instance runs: one GetSecretValue (and one KMS Decrypt behind it) per instance, not per URL. Local mode
// passes its own key from the data folder (local/urlSigningKeyPair.ts).
import { createPrivateKey, KeyObject } from "crypto";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

/** A source of the private key: resolved when a URL is first signed. */
export type SigningKeySource = () => Promise<KeyObject>;

/** An RSA private key from PEM text; a secret holding anything else is a misconfiguration, said at once. */
export function rsaPrivateKey(pem: string): KeyObject {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== "rsa") throw new Error("The URL signing key is not an RSA private key");
    return key;
}

export function secretSigningKey(secrets: Pick<SecretsManagerClient, "send">, secretArn: string): SigningKeySource {
    let read: Promise<KeyObject> | undefined;
    return () => {
        read ??= secrets
            .send(new GetSecretValueCommand({ SecretId: secretArn }))
            .then(({ SecretString }) => {
                if (!SecretString) throw new Error("The URL signing secret holds no SecretString");
                return rsaPrivateKey(SecretString);
            })
            .catch((error: unknown) => {
                read = undefined; // a throttled or failed read is tried again by the next request
                throw error;
            });
        return read;
    };
}
