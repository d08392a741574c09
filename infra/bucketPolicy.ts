import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The bucket's only policy: refuse every request without TLS, and let exactly one CloudFront distribution
 * read objects (Origin Access Control signs its requests as the cloudfront.amazonaws.com service).
 * Nothing is granted to the public; uploads go through presigned URLs signed by IAM roles.
 */
export function imageBucketPolicyDocument(bucketArn: pulumi.Input<string>, distributionArn: pulumi.Input<string>) {
    return aws.iam.getPolicyDocumentOutput({
        statements: [
            {
                sid: "DenyInsecureTransport",
                effect: "Deny",
                principals: [{ type: "*", identifiers: ["*"] }],
                actions: ["s3:*"],
                resources: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
                conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
            },
            {
                sid: "AllowCloudFrontRead",
                effect: "Allow",
                principals: [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }],
                actions: ["s3:GetObject"],
                resources: [pulumi.interpolate`${bucketArn}/*`],
                conditions: [{ test: "StringEquals", variable: "AWS:SourceArn", values: [distributionArn] }],
            },
        ],
    }).json;
}
