import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountControlsKeyStatement } from "../builders/keyPolicy";

export interface AlarmTopicArgs {
    /** Subscribed by email (config alarmEmail); the address must confirm before it receives anything. */
    email?: string;
}

/**
 * Where alarms send their state changes: an SNS topic encrypted with a key of its own, like the upload events
 * topic (infra/upload/uploadEvents.ts). An alarm notifies a topic in its own region only, so CloudFront's alarm
 * (us-east-1) has a second one there: the caller passes that region's provider in `opts`.
 *
 * CloudWatch publishes to an SSE-KMS topic only when the key policy lets the cloudwatch.amazonaws.com service
 * principal use the key (kms:Decrypt and kms:GenerateDataKey*); with AWS's managed key it cannot, hence a
 * customer managed key
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 * The topic keeps SNS's default access policy: this account's principals (CloudWatch alarms among them) publish
 * and subscribe.
 */
export class AlarmTopic extends pulumi.ComponentResource {
    public readonly topicArn: pulumi.Output<string>;
    public readonly keyArn: pulumi.Output<string>;

    constructor(name: string, args: AlarmTopicArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:observability:AlarmTopic", name, {}, opts);
        const key = new aws.kms.Key(
            `${name}-key`,
            {
                description: "Encrypts the alarms topic (image-pipeline)",
                enableKeyRotation: true,
                deletionWindowInDays: 30,
            },
            { parent: this },
        );
        new aws.kms.KeyPolicy(
            `${name}-key-policy`,
            { keyId: key.id, policy: alarmKeyPolicy(key.arn) },
            { parent: this },
        );
        const topic = new aws.sns.Topic(`${name}-topic`, { kmsMasterKeyId: key.arn }, { parent: this });
        if (args.email) {
            new aws.sns.TopicSubscription(
                `${name}-email`,
                { topic: topic.arn, protocol: "email", endpoint: args.email },
                { parent: this },
            );
        }
        this.topicArn = topic.arn;
        this.keyArn = key.arn;
        this.registerOutputs({ topicArn: this.topicArn });
    }
}

/** The key's policy: IAM policies of this account decide (as the default policy), and CloudWatch may encrypt and
 *  decrypt the notifications it publishes (AWS's statement for CloudWatch alarms, page cited above). */
export function alarmKeyPolicy(keyArn: pulumi.Input<string>): pulumi.Output<string> {
    return aws.iam.getPolicyDocumentOutput({
        statements: [
            accountControlsKeyStatement(keyArn),
            {
                sid: "CloudWatchAlarmsPublish",
                effect: "Allow",
                principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
                actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
                resources: ["*"],
            },
        ],
    }).json;
}
