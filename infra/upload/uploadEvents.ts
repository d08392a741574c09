import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The "image ready / rejected / failed" topic for the user's own backend: ingest publishes each upload's final
 * status JSON, and the ingest failure consumer each `failed` one (message attribute `status`, for subscription
 * filter policies). Encrypted at rest with a key of its own
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html); a customer managed key, so its key
 * policy can later grant a subscriber's service. Its default key policy lets IAM decide, and only the publishers'
 * roles are given the key (a publisher needs kms:GenerateDataKey and kms:Decrypt on it:
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html). Subscribe with IAM rights in this account.
 */
/** What a publisher's role needs: sns:Publish on this topic, and its KMS key (publishing makes and uses a data key
 *  of it). Ingest and the ingest failure consumer both take these. */
export function publishStatements(topic: {
    topicArn: pulumi.Input<string>;
    keyArn: pulumi.Input<string>;
}): aws.types.input.iam.GetPolicyDocumentStatementArgs[] {
    return [
        { sid: "PublishUploadEvents", effect: "Allow", actions: ["sns:Publish"], resources: [topic.topicArn] },
        {
            sid: "UseTheTopicKey",
            effect: "Allow",
            actions: ["kms:GenerateDataKey", "kms:Decrypt"],
            resources: [topic.keyArn],
        },
    ];
}

export class UploadEvents extends pulumi.ComponentResource {
    public readonly topicArn: pulumi.Output<string>;
    public readonly keyArn: pulumi.Output<string>;
    private readonly topic: aws.sns.Topic;
    private readonly resourceName: string;

    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:upload:UploadEvents", name, {}, opts);
        const key = new aws.kms.Key(
            `${name}-key`,
            {
                description: "Encrypts the upload events topic (image-pipeline)",
                enableKeyRotation: true,
                deletionWindowInDays: 30,
            },
            { parent: this },
        );
        this.topic = new aws.sns.Topic(`${name}-topic`, { kmsMasterKeyId: key.arn }, { parent: this });
        this.resourceName = name;
        this.topicArn = this.topic.arn;
        this.keyArn = key.arn;
        this.registerOutputs({ topicArn: this.topicArn });
    }

    /**
     * The topic's one policy (it replaces SNS's default): only the `publisherRoleArns` may publish, and only over
     * TLS (https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html#enforce-encryption-data-in-transit).
     * A role session's aws:PrincipalArn is its role's ARN, so the Lambdas' sessions match; a negated condition
     * with several values holds only when the principal is none of them.
     */
    allowOnlyPublishers(publisherRoleArns: pulumi.Input<string>[]): aws.sns.TopicPolicy {
        const topicArn = this.topic.arn;
        return new aws.sns.TopicPolicy(
            `${this.resourceName}-policy`,
            {
                arn: topicArn,
                policy: aws.iam.getPolicyDocumentOutput({
                    statements: [
                        {
                            sid: "PublishersPublish",
                            effect: "Allow",
                            principals: [{ type: "AWS", identifiers: publisherRoleArns }],
                            actions: ["sns:Publish"],
                            resources: [topicArn],
                        },
                        {
                            sid: "NobodyElsePublishes",
                            effect: "Deny",
                            principals: [{ type: "*", identifiers: ["*"] }],
                            actions: ["sns:Publish"],
                            resources: [topicArn],
                            conditions: [
                                { test: "ArnNotEquals", variable: "aws:PrincipalArn", values: publisherRoleArns },
                            ],
                        },
                        {
                            sid: "DenyInsecureTransport",
                            effect: "Deny",
                            principals: [{ type: "*", identifiers: ["*"] }],
                            actions: ["sns:Publish"],
                            resources: [topicArn],
                            conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
                        },
                    ],
                }).json,
            },
            { parent: this },
        );
    }
}
