import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** One entry of the bucket's notification configuration: these events under this prefix run this function. */
export interface BucketSubscription {
    functionArn: pulumi.Input<string>;
    events: string[];
    filterPrefix: string;
    /** The function's permission for S3 to invoke it: S3 checks it when the configuration is put. */
    permission: pulumi.Resource;
}

/**
 * The permission for the bucket's S3 notifications to invoke a function: this bucket only, in the function's own
 * account (a bucket ARN names no account, so AWS advises SourceAccount too:
 * https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html).
 */
export function allowBucketToInvoke(
    name: string,
    target: { functionName: pulumi.Input<string>; roleArn: pulumi.Output<string> },
    bucketArn: pulumi.Input<string>,
    parent: pulumi.Resource,
): aws.lambda.Permission {
    return new aws.lambda.Permission(
        name,
        {
            function: target.functionName,
            action: "lambda:InvokeFunction",
            principal: "s3.amazonaws.com",
            sourceArn: bucketArn,
            sourceAccount: target.roleArn.apply((arn) => arn.split(":")[4]),
        },
        { parent },
    );
}

export interface BucketEventsArgs {
    bucketName: pulumi.Input<string>;
    subscriptions: BucketSubscription[];
    /**
     * The bucket's last configuration resource (its policy): the notification configuration is one more
     * Put*Bucket* call, and S3 answers concurrent ones on a bucket with 409 OperationAborted (see ImageBucket).
     */
    bucketConfigured: pulumi.Resource;
}

/**
 * The bucket's ONE notification configuration, holding every subscription: aws.s3.BucketNotification replaces the
 * whole configuration, so two of them on one bucket would undo each other
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html). S3 refuses two subscriptions
 * sharing an event type on overlapping prefixes
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html): incoming/ and uploads/
 * do not overlap.
 */
export class BucketEvents extends pulumi.ComponentResource {
    constructor(name: string, args: BucketEventsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:storage:BucketEvents", name, {}, opts);
        new aws.s3.BucketNotification(
            `${name}-notification`,
            {
                bucket: args.bucketName,
                lambdaFunctions: args.subscriptions.map(({ functionArn, events, filterPrefix }) => ({
                    lambdaFunctionArn: functionArn,
                    events,
                    filterPrefix,
                })),
            },
            {
                parent: this,
                dependsOn: [
                    args.bucketConfigured,
                    ...args.subscriptions.map((subscription) => subscription.permission),
                ],
            },
        );
        this.registerOutputs({});
    }
}
