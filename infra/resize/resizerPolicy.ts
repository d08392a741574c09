// What the Resizer may do in the bucket, one list for both runtimes: the Lambda's execution role (resizer.ts) and
// the Fargate task role (containerRoles.ts) hold exactly these statements.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ORIGINAL_KEYS_PATTERN, VARIANT_KEYS_PATTERN } from "../../functions/shared/bucketLayout";
import { bucketKeyStatements } from "../storage/bucketKeyGrant";

type Statement = aws.types.input.iam.GetPolicyDocumentStatementArgs;

/**
 * What the Resizer may do, whichever runtime runs it (the Lambda's execution role, the Fargate task role): read
 * originals and variants, write variants only, list only those prefixes, and use the bucket's key.
 */
export function resizerStatements(bucketArn: pulumi.Input<string>, kmsKeyArn?: pulumi.Input<string>): Statement[] {
    const variantKeys = pulumi.interpolate`${bucketArn}/${VARIANT_KEYS_PATTERN}`;
    const originalKeys = pulumi.interpolate`${bucketArn}/${ORIGINAL_KEYS_PATTERN}`;
    return [
        {
            sid: "ReadOriginalsAndVariants",
            effect: "Allow",
            actions: ["s3:GetObject"],
            resources: [originalKeys, variantKeys],
        },
        { sid: "WriteVariants", effect: "Allow", actions: ["s3:PutObject"], resources: [variantKeys] },
        // The variant pattern also matches some keys under uploads/: originals are never the Resizer's to write.
        { sid: "NeverWriteOriginals", effect: "Deny", actions: ["s3:PutObject"], resources: [originalKeys] },
        {
            // With s3:ListBucket S3 answers a missing key 404 NoSuchKey instead of 403 AccessDenied, so the
            // Resizer can tell a missing original from a refusal
            // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"); only the
            // prefixes it reads may be listed.
            sid: "ListOriginalAndVariantPrefixes",
            effect: "Allow",
            actions: ["s3:ListBucket"],
            resources: [bucketArn],
            conditions: [
                {
                    test: "StringLike",
                    variable: "s3:prefix",
                    values: [ORIGINAL_KEYS_PATTERN, VARIANT_KEYS_PATTERN],
                },
            ],
        },
        ...bucketKeyStatements(kmsKeyArn),
    ];
}
