import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { uploadCorsRule } from "./bucketCors";

export interface ImageBucketArgs {
    /** Origins allowed to upload from a browser (CORS). */
    corsOrigins: pulumi.Input<string[]>;
    /** Server-side encryption key; AES256 (S3-managed keys) when omitted. */
    kmsKeyArn?: pulumi.Input<string>;
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

    constructor(name: string, args: ImageBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:storage:ImageBucket", name, {}, opts);
        const parent = { parent: this };

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
                applyServerSideEncryptionByDefault: args.kmsKeyArn
                    ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }
                    : { sseAlgorithm: "AES256" },
                bucketKeyEnabled: args.kmsKeyArn ? true : undefined,
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
        });
    }
}
