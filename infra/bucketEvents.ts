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

export interface BucketEventsArgs {
    bucketName: pulumi.Input<string>;
    subscriptions: BucketSubscription[];
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
            { parent: this, dependsOn: args.subscriptions.map((subscription) => subscription.permission) },
        );
        this.registerOutputs({});
    }
}
