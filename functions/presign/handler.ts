// The presign Lambda's entry: an inline callback factory that infra/builders/closureArchive.ts serializes (with what it
// references) and bundles. It runs once per cold start and builds the handler from the function's environment,
// so no live client is captured at deploy time.
import { KMSClient } from "@aws-sdk/client-kms";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { createPresignHandler } from "./presign";
import { decodePresignSettings } from "./settings";
import { kmsGrantKey } from "./grantKey";
import { secretSigningKey } from "./urlSigningKey";
import { createS3Client } from "../shared/s3Client";

export const presignHandlerFactory = () => {
    const settings = decodePresignSettings(process.env);
    return createPresignHandler({
        // S3_ENDPOINT is unset on AWS; tests and the benchmark point the same closure at a local S3.
        s3: createS3Client({ endpoint: process.env.S3_ENDPOINT }),
        settings,
        // With a JWT authorizer: the key upload grants are signed with, derived from the stack's HMAC KMS key.
        grantKey: settings.grantKeyId ? kmsGrantKey(new KMSClient({}), settings.grantKeyId) : undefined,
        // With privateDelivery: the private key CDN URLs are signed with, read from its secret once per cold start.
        signingKey: settings.urlSigning?.secretArn
            ? secretSigningKey(new SecretsManagerClient({}), settings.urlSigning.secretArn)
            : undefined,
    });
};
