import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { uploadCorsRule } from "../../functions/shared/bucketCors";
import { STAGING_PREFIX } from "../../functions/shared/bucketLayout";
import { cloudFrontDecryptStatementJson, imageBucketPolicyDocument, imageKeyPolicyDocument } from "./bucketPolicy";

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

/** The distribution that reads the bucket (CdnDistribution): its ARN, and itself, the bucket policy's parent. */
export interface ReadingDistribution extends pulumi.Resource {
    readonly distributionArn: pulumi.Input<string>;
    /** The component's name: the bucket policy is named after it. */
    readonly resourceName: string;
}

/**
 * The private bucket holding originals and variants, and everything that configures it. Its one policy (S3 keeps
 * one per bucket, see bucketPolicy.ts) needs the distribution's ARN, which exists only after the bucket: it is
 * made by allowDistributionToRead once the distribution is.
 */
export class ImageBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly regionalDomainName: pulumi.Output<string>;
    /** The key objects are encrypted with, when SSE-KMS is on: the roles must be allowed to use it. */
    public readonly kmsKeyArn?: pulumi.Output<string>;
    private readonly createdKey?: aws.kms.Key;
    private readonly resourceName: string;
    private readonly bucket: aws.s3.Bucket;
    private policy?: aws.s3.BucketPolicy;
    /**
     * The last of the bucket's sub-resources. S3 answers 409 OperationAborted ("A conflicting conditional
     * operation is currently in progress") to concurrent Put*Bucket* calls on one bucket, so they are chained
     * one after another here; the bucket policy (allowDistributionToRead) waits for this one, and the
     * notification configuration (BucketEvents) for the policy. Reported for exactly
     * these resources: https://github.com/hashicorp/terraform-provider-aws/issues/7628,
     * https://github.com/pulumi/pulumi-aws/issues/1570, https://github.com/hashicorp/terraform-provider-aws/issues/33552,
     * https://github.com/hashicorp/terraform-provider-aws/issues/36873 (retries exhausted, 2024).
     */
    public readonly configured: pulumi.Resource;

    constructor(name: string, args: ImageBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:storage:ImageBucket", name, {}, opts);
        const parent = { parent: this };
        this.resourceName = name;

        this.createdKey = args.createKmsKey
            ? new aws.kms.Key(
                  `${name}-key`,
                  {
                      description: "Encrypts the image bucket (image-pipeline)",
                      enableKeyRotation: true,
                      deletionWindowInDays: 30,
                  },
                  parent,
              )
            : undefined;
        const kmsKeyArn = this.createdKey ? this.createdKey.arn : args.kmsKeyArn && pulumi.output(args.kmsKeyArn);
        this.kmsKeyArn = kmsKeyArn || undefined;

        const bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: args.forceDestroy ?? false }, parent);

        // One S3 bucket-configuration call at a time (see `configured`).
        const after = (previous: pulumi.Resource) => ({ parent: this, dependsOn: [previous] });

        const publicAccess = new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access`,
            {
                bucket: bucket.id,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            },
            parent,
        );

        const ownership = new aws.s3.BucketOwnershipControls(
            `${name}-ownership`,
            {
                bucket: bucket.id,
                rule: { objectOwnership: "BucketOwnerEnforced" },
            },
            after(publicAccess),
        );

        const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-encryption`,
            {
                bucket: bucket.id,
                rules: [
                    {
                        applyServerSideEncryptionByDefault: kmsKeyArn
                            ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn }
                            : { sseAlgorithm: "AES256" },
                        // Fewer KMS calls (and costs): S3 derives data keys from a bucket-level key.
                        bucketKeyEnabled: kmsKeyArn ? true : undefined,
                    },
                ],
            },
            after(ownership),
        );

        const cors = new aws.s3.BucketCorsConfiguration(
            `${name}-cors`,
            {
                bucket: bucket.id,
                corsRules: [pulumi.output(args.corsOrigins).apply(uploadCorsRule)],
            },
            after(encryption),
        );

        const lifecycle = new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            {
                bucket: bucket.id,
                rules: [
                    {
                        id: "abort-incomplete-multipart-uploads",
                        status: "Enabled",
                        // The whole bucket, as the empty filter the provider documents ("Specifying an empty filter",
                        // @pulumi/aws 7.x). Checked: the empty-filter diffs/warnings were a regression of the upstream
                        // Terraform provider 5.86–5.9x (hashicorp/terraform-provider-aws#41268, #41710), fixed by #42624 and
                        // #43590 before the v6 line @pulumi/aws 7 builds on; omitting the filter instead draws the "one of
                        // prefix/filter is required" warning. The refresh-diff reports pulumi/pulumi-aws#2024 and #2128 are
                        // about expiration days + expiredObjectDeleteMarker, which this rule does not use.
                        filter: {},
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                    {
                        // Ingest moves or deletes every staged upload at once; anything left (a failed invocation
                        // after its retries) is removed after a day. Lifecycle days count from creation, rounded
                        // up to the next midnight UTC (https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html).
                        id: "expire-staged-uploads",
                        status: "Enabled",
                        filter: { prefix: STAGING_PREFIX },
                        expiration: { days: 1 },
                    },
                ],
            },
            after(cors),
        );
        this.configured = lifecycle;
        this.bucket = bucket;

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
     * The bucket's one policy: every request without TLS refused, objects readable by exactly this distribution
     * (its Origin Access Control signs as the cloudfront.amazonaws.com service), never the staged uploads or the
     * statuses. It is the next link of the configuration chain (it waits for `configured`); what configures the
     * bucket after it (the notification configuration) must wait for the policy returned.
     *
     * Declared as the distribution's child, `<distribution>-bucket-policy`, where it has been since the first
     * deploy: under another parent or name it would get a new URN, and `pulumi up` would put the new policy, then
     * delete the old one, which on S3 deletes the bucket's only policy (tests/stack/resourceUrns.spec.ts).
     */
    allowDistributionToRead(distribution: ReadingDistribution): aws.s3.BucketPolicy {
        if (this.policy) throw new Error(`${this.resourceName}: the bucket has one policy, already made`);
        this.policy = new aws.s3.BucketPolicy(
            `${distribution.resourceName}-bucket-policy`,
            {
                bucket: this.bucket.bucket,
                policy: imageBucketPolicyDocument(this.bucketArn, distribution.distributionArn),
            },
            { parent: distribution, dependsOn: [this.configured] },
        );
        return this.policy;
    }

    /**
     * Lets the distribution's OAC decrypt objects. A key the stack made gets its key policy here (the
     * distribution exists only after the bucket); a key the user brought cannot be edited by the stack, so the
     * answer is the key-policy statement to add to it (exported as a stack output). Undefined without SSE-KMS.
     */
    allowDistributionToDecrypt(distributionArn: pulumi.Input<string>): pulumi.Output<string> | undefined {
        if (!this.kmsKeyArn) return undefined;
        if (this.createdKey) {
            new aws.kms.KeyPolicy(
                `${this.resourceName}-key-policy`,
                {
                    keyId: this.createdKey.keyId,
                    policy: imageKeyPolicyDocument(this.createdKey.arn, distributionArn),
                },
                { parent: this },
            );
            return undefined;
        }
        return cloudFrontDecryptStatementJson(distributionArn);
    }
}
