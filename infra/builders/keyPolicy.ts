// The statement every key policy the stack writes starts with: KMS's default key policy, under which the account's
// IAM policies decide who may use the key; without it no role's statement can grant use of the key
// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The account that owns `keyArn` (its root principal) keeps full control of the key. */
export function accountControlsKeyStatement(
    keyArn: pulumi.Input<string>,
): aws.types.input.iam.GetPolicyDocumentStatementArgs {
    const [partition, account] = [1, 4].map((part) => pulumi.output(keyArn).apply((arn) => arn.split(":")[part]));
    return {
        sid: "EnableIamPoliciesOfThisAccount",
        effect: "Allow",
        principals: [{ type: "AWS", identifiers: [pulumi.interpolate`arn:${partition}:iam::${account}:root`] }],
        actions: ["kms:*"],
        resources: ["*"],
    };
}
