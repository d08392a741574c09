import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

type Statement = aws.types.input.iam.GetPolicyDocumentStatementArgs;

/** CloudFront verifies signed URLs with RSA 2048 or ECDSA 256 public keys; RSA-SHA1 is what every CloudFront
 *  signer and the documented examples use: https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_PublicKey.html */
export const URL_SIGNING_KEY_ALGORITHM = "RSA";
export const URL_SIGNING_KEY_BITS = 2048;

/**
 * privateDelivery's key pair: a CloudFront public key in a key group the distribution trusts on every image
 * behaviour (trustedKeyGroups, never the legacy root-account key pairs), and its private key, kept as a Secrets
 * Manager secret under a KMS key of its own for the signing function to read.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PrivateContent.html
 *
 * The key pair is a `tls.PrivateKey` (the `tls` provider plugin): made on the first `pulumi up`, then kept in the
 * stack's state as a secret and never made again unless its algorithm or size changes, so signed URLs keep working
 * across deploys. Whoever holds the state (the deployer) can read the key; among the stack's roles only the one
 * given readStatements() can.
 */
export class UrlSigningKey extends pulumi.ComponentResource {
    /** The key group CloudFront trusts (the distribution's trustedKeyGroups). */
    public readonly keyGroupId: pulumi.Output<string>;
    /** The public key's ID: the Key-Pair-Id of every signed URL. */
    public readonly keyPairId: pulumi.Output<string>;
    public readonly secretArn: pulumi.Output<string>;
    /** The KMS key the secret is encrypted under. */
    public readonly keyArn: pulumi.Output<string>;
    private readonly region: pulumi.Output<string>;

    constructor(name: string, args: Record<string, never> = {}, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:delivery:UrlSigningKey", name, args, opts);
        const parent = { parent: this };

        const privateKey = new tls.PrivateKey(
            `${name}-private-key`,
            { algorithm: URL_SIGNING_KEY_ALGORITHM, rsaBits: URL_SIGNING_KEY_BITS },
            parent,
        );
        const publicKey = new aws.cloudfront.PublicKey(
            `${name}-public-key`,
            { comment: "Verifies image-pipeline's signed image URLs", encodedKey: privateKey.publicKeyPem },
            parent,
        );
        const keyGroup = new aws.cloudfront.KeyGroup(
            `${name}-key-group`,
            { comment: "image-pipeline: the keys of signed image URLs", items: [publicKey.id] },
            parent,
        );

        // A key of its own, so that decrypting the private key is a grant no other secret or object shares. Its key
        // policy is KMS's default (the account's IAM policies decide): the signing role's statements below.
        const key = new aws.kms.Key(
            `${name}-secret-key`,
            {
                description: "Encrypts image-pipeline's URL signing private key (Secrets Manager)",
                enableKeyRotation: true,
                deletionWindowInDays: 30,
            },
            parent,
        );
        const secret = new aws.secretsmanager.Secret(
            `${name}-secret`,
            { description: "image-pipeline: the private key that signs CloudFront image URLs", kmsKeyId: key.arn },
            parent,
        );
        new aws.secretsmanager.SecretVersion(
            `${name}-secret-value`,
            { secretId: secret.id, secretString: pulumi.secret(privateKey.privateKeyPem) },
            parent,
        );

        this.keyGroupId = keyGroup.id;
        this.keyPairId = publicKey.id;
        this.secretArn = secret.arn;
        this.keyArn = key.arn;
        this.region = aws.getRegionOutput({}, parent).region;
        this.registerOutputs({
            keyGroupId: this.keyGroupId,
            keyPairId: this.keyPairId,
            secretArn: this.secretArn,
            keyArn: this.keyArn,
        });
    }

    /**
     * What the signing function's role needs to read the private key, and nothing more: the value of this one
     * secret, and Decrypt under its key only through Secrets Manager (kms:ViaService), never directly:
     * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
     * The key encrypts this secret alone, so no encryption-context condition is needed to tell it from others.
     */
    readStatements(): Statement[] {
        return [
            {
                sid: "ReadUrlSigningKey",
                effect: "Allow",
                actions: ["secretsmanager:GetSecretValue"],
                resources: [this.secretArn],
            },
            {
                sid: "DecryptUrlSigningKey",
                effect: "Allow",
                actions: ["kms:Decrypt"],
                resources: [this.keyArn],
                conditions: [
                    {
                        test: "StringEquals",
                        variable: "kms:ViaService",
                        values: [pulumi.interpolate`secretsmanager.${this.region}.amazonaws.com`],
                    },
                ],
            },
        ];
    }
}
