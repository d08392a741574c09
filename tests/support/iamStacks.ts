// The stacks the IAM specs evaluate (tests/stack/iam*.spec.ts): a program run with its bucket policy and the
// bucket key's policy, and one role's call evaluated against them as AWS would (iam-simulate).
import { defaultKeyPolicy, Decision, evaluate, PolicyDocument, rolePolicyOf } from "./iamEvaluation";
import { parsePolicy, ProgramRun, runProgram } from "./program";
import { MOCK_ACCOUNT, MOCK_REGION } from "./pulumiMocks";

export const BROUGHT_KEY = `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const OTHER_KEY = `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/99999999-12ab-34cd-56ef-1234567890ab`;
export const PRESIGN_ROLE = "uploads-handler-role";
export const RESIZER_ROLE = "resizer-handler-role";
export const INGEST_ROLE = "ingest-handler-role";
export const INGEST_FAILURE_ROLE = "ingest-failures-handler-role";

export interface Stack {
    run: ProgramRun;
    bucketArn: string;
    bucketPolicy: PolicyDocument;
    keyArn?: string;
    keyPolicy?: PolicyDocument;
}

export async function stack(overrides: Record<string, string>): Promise<Stack> {
    const run = await runProgram(overrides);
    const bucketArn = run.one("aws:s3/bucket:Bucket").state.arn;
    const bucketPolicy = parsePolicy(run.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
    // The bucket key's policy (not the alarms topics' keys').
    const keyPolicies = run
        .ofType("aws:kms/keyPolicy:KeyPolicy")
        .filter((policy) => policy.name === "images-key-policy");
    const created = run.ofType("aws:kms/key:Key").find((key) => key.name === "images-key"); // not the topic's
    return {
        run,
        bucketArn,
        bucketPolicy,
        keyArn: created?.state.arn ?? overrides["image-pipeline:kmsKeyArn"],
        // A created key has the policy the program wrote; a brought key is assumed to keep KMS's default one.
        keyPolicy: keyPolicies.length === 1 ? parsePolicy(keyPolicies[0].inputs.policy) : defaultKeyPolicy(),
    };
}

/** A role's call: S3 calls meet the bucket policy, KMS calls the key policy. */
export function call(
    target: Stack,
    roleName: string,
    action: string,
    resource: string,
    context: Record<string, string> = {},
): Promise<Decision> {
    const role = rolePolicyOf(target.run, roleName);
    return evaluate({
        principal: role.arn,
        identityPolicies: [role.policy],
        action,
        resource,
        context,
        resourcePolicy: action.startsWith("kms:") ? target.keyPolicy : target.bucketPolicy,
    });
}
