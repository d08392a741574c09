// IAM by evaluation, not by string matching: runs a request through @cloud-copilot/iam-simulate (AWS's policy
// evaluation logic: identity policy, resource policy, explicit Deny, conditions) with the policies the program
// produced under the mocks. Any role's spec can reuse it.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { MOCK_ACCOUNT } from "./pulumiMocks";
import { parsePolicy, ProgramRun } from "./program";

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export interface PolicyDocument {
    Version?: string;
    Statement: unknown[];
}

export interface EvaluatedRequest {
    /** The calling principal's ARN (a role, or a service such as cloudfront.amazonaws.com). */
    principal: string;
    /** The principal's identity policies (none for a service principal). */
    identityPolicies: PolicyDocument[];
    action: string;
    resource: string;
    /** The resource's own policy: the bucket policy for S3, the key policy for KMS. */
    resourcePolicy?: PolicyDocument;
    /** Request context: s3:prefix, AWS:SourceArn ... Every request is made over TLS (aws:SecureTransport). */
    context?: Record<string, string>;
}

export async function evaluate(request: EvaluatedRequest): Promise<Decision> {
    const response = await runSimulation(
        {
            identityPolicies: request.identityPolicies.map((policy, index) => ({
                name: `policy-${index}`,
                policy: policy as never,
            })),
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            resourcePolicy: request.resourcePolicy as never,
            request: {
                principal: request.principal,
                action: request.action,
                resource: { accountId: MOCK_ACCOUNT, resource: request.resource },
                contextVariables: { "aws:SecureTransport": "true", ...request.context },
            },
        } as never,
        {},
    );
    if (response.resultType !== "single") {
        throw new Error(
            `simulation of ${request.action} on ${request.resource} failed: ${JSON.stringify((response as { errors?: unknown }).errors ?? response)}`,
        );
    }
    return response.overallResult as Decision;
}

/** The one inline policy the program attached to the role named `roleName` (e.g. "uploads-handler-role"). */
export function rolePolicyOf(run: ProgramRun, roleName: string): { arn: string; policy: PolicyDocument } {
    const role = run.ofType("aws:iam/role:Role").find((r) => r.name === roleName);
    if (!role) throw new Error(`no role ${roleName}`);
    const policies = run.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === `${role.name}-id`);
    if (policies.length !== 1) throw new Error(`expected one policy on ${roleName}, found ${policies.length}`);
    return { arn: role.state.arn, policy: parsePolicy(policies[0].inputs.policy) };
}

/**
 * KMS's default key policy (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html): the
 * account's IAM policies decide. What a key a user brings is assumed to have; without it no IAM policy works.
 */
export function defaultKeyPolicy(account = MOCK_ACCOUNT): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "Enable IAM User Permissions",
                Effect: "Allow",
                Principal: { AWS: `arn:aws:iam::${account}:root` },
                Action: "kms:*",
                Resource: "*",
            },
        ],
    };
}
