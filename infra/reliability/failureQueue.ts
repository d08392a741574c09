import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AsyncInvocationPolicy } from "../../functions/shared/asyncInvocation";

/** SQS's longest retention, 14 days (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html):
 *  a failure record waits that long for its consumer or an operator. */
export const FAILURE_RETENTION_SECONDS = 14 * 24 * 60 * 60;

export interface FailureQueueArgs {
    /** How long a received message stays invisible; with a consumer at least six times its timeout
     *  (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). SQS's default otherwise. */
    visibilityTimeoutSeconds?: number;
    /** A consumer reads it: a message received this many times without success moves to a dead-letter queue of
     *  its own (same encryption and retention), so no record loops for ever and none is lost. */
    maxReceiveCount?: number;
}

/**
 * A standard SQS queue that an asynchronous Lambda's on-failure destination sends its invocation records to
 * (FIFO queues cannot be destinations: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 * Encrypted at rest with SQS-managed keys (SSE-SQS: no KMS key for the senders or the consumer to be granted),
 * TLS-only, records kept 14 days; optionally a dead-letter queue behind it.
 */
export class FailureQueue extends pulumi.ComponentResource {
    public readonly queueArn: pulumi.Output<string>;
    public readonly queueUrl: pulumi.Output<string>;
    /** The queues' names: the AWS/SQS metrics' QueueName dimension. */
    public readonly queueName: pulumi.Output<string>;
    public readonly deadLetterQueueName?: pulumi.Output<string>;
    public readonly deadLetterQueueArn?: pulumi.Output<string>;
    public readonly deadLetterQueueUrl?: pulumi.Output<string>;

    constructor(name: string, args: FailureQueueArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:reliability:FailureQueue", name, {}, opts);
        const deadLetters =
            args.maxReceiveCount === undefined ? undefined : secureQueue(`${name}-dead-letters`, {}, this);
        const queue = secureQueue(
            `${name}-queue`,
            {
                visibilityTimeoutSeconds: args.visibilityTimeoutSeconds,
                redrivePolicy: deadLetters
                    ? pulumi.jsonStringify({
                          deadLetterTargetArn: deadLetters.arn,
                          maxReceiveCount: args.maxReceiveCount,
                      })
                    : undefined,
            },
            this,
        );
        this.queueArn = queue.arn;
        this.queueUrl = queue.url;
        this.queueName = queue.name;
        this.deadLetterQueueName = deadLetters?.name;
        this.deadLetterQueueArn = deadLetters?.arn;
        this.deadLetterQueueUrl = deadLetters?.url;
        this.registerOutputs({ queueUrl: this.queueUrl });
    }
}

function secureQueue(name: string, args: aws.sqs.QueueArgs, parent: pulumi.Resource): aws.sqs.Queue {
    const queue = new aws.sqs.Queue(
        name,
        { ...args, sqsManagedSseEnabled: true, messageRetentionSeconds: FAILURE_RETENTION_SECONDS },
        { parent },
    );
    new aws.sqs.QueuePolicy(
        `${name}-policy`,
        {
            queueUrl: queue.url,
            policy: aws.iam.getPolicyDocumentOutput({
                statements: [
                    {
                        // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html
                        sid: "DenyInsecureTransport",
                        effect: "Deny",
                        principals: [{ type: "*", identifiers: ["*"] }],
                        actions: ["sqs:*"],
                        resources: [queue.arn],
                        conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
                    },
                ],
            }).json,
        },
        { parent },
    );
    return queue;
}

/**
 * A function's asynchronous invocation limits (retries, event age) and its on-failure destination. Lambda sends
 * the record with the function's own role, which must hold sqs:SendMessage on the queue before this is made
 * (Lambda checks it then): `dependsOn` names the role's policy.
 */
export function asyncInvokeConfig(
    name: string,
    target: {
        functionName: pulumi.Input<string>;
        policy: AsyncInvocationPolicy;
        failureQueueArn: pulumi.Input<string>;
    },
    parent: pulumi.Resource,
    dependsOn: pulumi.Resource[],
): aws.lambda.FunctionEventInvokeConfig {
    return new aws.lambda.FunctionEventInvokeConfig(
        name,
        {
            functionName: target.functionName,
            maximumRetryAttempts: target.policy.maximumRetryAttempts,
            maximumEventAgeInSeconds: target.policy.maximumEventAgeSeconds,
            destinationConfig: { onFailure: { destination: target.failureQueueArn } },
        },
        { parent, dependsOn },
    );
}
