import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { uploadCorsRule } from "./bucketCors";
import { cloudFrontDecryptStatementJson, imageKeyPolicyDocument } from "./bucketPolicy";

export interface ImageBucketArgs {
    /** Origins allowed to upload from a browser (CORS). */
    corsOrigins: pulumi.Input<string[]>;
    /** Server-side encryption with this KMS key (a key ARN); AES256 (S3-managed keys) when neither is given. */
    kmsKeyArn?: pulumi.Input<string>;
    /** Make a KMS key for the bucket (rotation on); its policy follows from allowDistributionToDecrypt. */
    createKmsKey?: boolean;
    /** Let `pulumi destroy` delete a bucket that still holds images. */
    forceDestroy?: pulumi.Input<boolean>;
}

/**
 * The private bucket holding originals and variants. It has no policy of its own: S3 keeps one policy per
 * bucket and that one needs the distribution's ARN, so CdnDistribution composes it (see bucketPolicy.ts).
 */
export class ImageBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly regionalDomainName: pulumi.Output<string>;
    /** The key objects are encrypted with, when SSE-KMS is on: the roles must be allowed to use it. */
    public readonly kmsKeyArn?: pulumi.Output<string>;
    private readonly createdKey?: aws.kms.Key;
    private readonly resourceName: string;

    constructor(name: string, args: ImageBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:storage:ImageBucket", name, {}, opts);
        const parent = { parent: this };
        this.resourceName = name;

        this.createdKey = args.createKmsKey ? new aws.kms.Key(`${name}-key`, {
            description: "Encrypts the image bucket (image-pipeline)",
            enableKeyRotation: true,
            deletionWindowInDays: 30,
        }, parent) : undefined;
        const kmsKeyArn = this.createdKey ? this.createdKey.arn : args.kmsKeyArn && pulumi.output(args.kmsKeyArn);
        this.kmsKeyArn = kmsKeyArn || undefined;

        const bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: args.forceDestroy ?? false }, parent);

        new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, parent);

        new aws.s3.BucketOwnershipControls(`${name}-ownership`, {
            bucket: bucket.id,
            rule: { objectOwnership: "BucketOwnerEnforced" },
        }, parent);

        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
            bucket: bucket.id,
            rules: [{
                applyServerSideEncryptionByDefault: kmsKeyArn
                    ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn }
                    : { sseAlgorithm: "AES256" },
                // Fewer KMS calls (and costs): S3 derives data keys from a bucket-level key.
                bucketKeyEnabled: kmsKeyArn ? true : undefined,
            }],
        }, parent);

        new aws.s3.BucketCorsConfiguration(`${name}-cors`, {
            bucket: bucket.id,
            corsRules: [pulumi.output(args.corsOrigins).apply(uploadCorsRule)],
        }, parent);

        new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
            bucket: bucket.id,
            rules: [{
                id: "abort-incomplete-multipart-uploads",
                status: "Enabled",
                filter: {},
                abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
            }],
        }, parent);

        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.regionalDomainName = bucket.bucketRegionalDomainName;
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            regionalDomainName: this.regionalDomainName,
            kmsKeyArn: this.kmsKeyArn,
        });
    }

    /**
     * Lets the distribution's OAC decrypt objects. A key the stack made gets its key policy here (the
     * distribution exists only after the bucket); a key the user brought cannot be edited by the stack, so the
     * answer is the key-policy statement to add to it (exported as a stack output). Undefined without SSE-KMS.
     */
    allowDistributionToDecrypt(distributionArn: pulumi.Input<string>): pulumi.Output<string> | undefined {
        if (!this.kmsKeyArn) return undefined;
        if (this.createdKey) {
            new aws.kms.KeyPolicy(`${this.resourceName}-key-policy`, {
                keyId: this.createdKey.keyId,
                policy: imageKeyPolicyDocument(this.createdKey.arn, distributionArn),
            }, { parent: this });
            return undefined;
        }
        return cloudFrontDecryptStatementJson(distributionArn);
    }
}
