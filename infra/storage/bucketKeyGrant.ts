// The bucket key's grant for a role that reads or writes SSE-KMS objects: S3 decrypts with the caller's kms:Decrypt
// on every read and asks for a data key with its kms:GenerateDataKey on every write, a presigned PUT or POST
// counting as its signer's write (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

type Statement = aws.types.input.iam.GetPolicyDocumentStatementArgs;

/** The statement letting a role use the bucket's key, or none when the bucket has no KMS key (SSE-S3). */
export function bucketKeyStatements(kmsKeyArn: pulumi.Input<string> | undefined): Statement[] {
    if (!kmsKeyArn) return [];
    return [
        {
            sid: "UseTheBucketKey",
            effect: "Allow",
            actions: ["kms:Decrypt", "kms:GenerateDataKey"],
            resources: [kmsKeyArn],
        },
    ];
}
