import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { STAGING_KEYS_PATTERN, STATUS_KEYS_PATTERN } from "../../functions/shared/bucketLayout";
import { accountControlsKeyStatement } from "../builders/keyPolicy";

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
            {
                // Unchecked uploads and upload statuses are never the CDN's to serve, whatever its behaviours.
                sid: "DenyCloudFrontStagingAndStatus",
                effect: "Deny",
                principals: [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }],
                actions: ["s3:GetObject"],
                resources: [
                    pulumi.interpolate`${bucketArn}/${STAGING_KEYS_PATTERN}`,
                    pulumi.interpolate`${bucketArn}/${STATUS_KEYS_PATTERN}`,
                ],
            },
        ],
    }).json;
}

/**
 * What CloudFront's OAC needs to read SSE-KMS objects: the key policy must let the cloudfront.amazonaws.com
 * service decrypt, for this distribution only (AWS:SourceArn). Reading is all the CDN does, so kms:Decrypt only.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
 * ("SSE-KMS"). In a key policy, Resource "*" means "this key" (the policy is attached to exactly one key):
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
 */
export function cloudFrontDecryptStatement(distributionArn: pulumi.Input<string>) {
    return {
        sid: "AllowCloudFrontOacDecrypt",
        effect: "Allow",
        principals: [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }],
        actions: ["kms:Decrypt"],
        resources: ["*"],
        conditions: [{ test: "StringEquals", variable: "AWS:SourceArn", values: [distributionArn] }],
    };
}

/** The same statement as key-policy JSON, for a key the user brings and must edit themselves. */
export function cloudFrontDecryptStatementJson(distributionArn: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.output(distributionArn).apply((arn) =>
        JSON.stringify({
            Sid: "AllowCloudFrontOacDecrypt",
            Effect: "Allow",
            Principal: { Service: "cloudfront.amazonaws.com" },
            Action: "kms:Decrypt",
            Resource: "*",
            Condition: { StringEquals: { "AWS:SourceArn": arn } },
        }),
    );
}

/**
 * The policy of a key the stack creates: the account keeps full control (KMS's default key policy, without which
 * IAM policies, the two Lambda roles' included, cannot grant use of the key:
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html), plus CloudFront's decrypt.
 */
export function imageKeyPolicyDocument(keyArn: pulumi.Input<string>, distributionArn: pulumi.Input<string>) {
    return aws.iam.getPolicyDocumentOutput({
        statements: [accountControlsKeyStatement(keyArn), cloudFrontDecryptStatement(distributionArn)],
    }).json;
}
