import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlarmTopic } from "./alarmTopic";
import { CLOUDFRONT_METRICS_REGION, pipelineDashboard } from "./dashboard";
import { pipelineAlarms } from "./pipelineAlarms";
import type { AlarmThresholds, WatchedPipeline } from "./watchedPipeline";

export interface ObservabilityArgs {
    watched: WatchedPipeline;
    thresholds: AlarmThresholds;
    /** The stack's metrics namespace (functions/shared/pipelineMetrics.ts metricsNamespace). */
    namespace: string;
    /** Unique in the account and region: the project and stack. */
    dashboardName: string;
    /** config alarmEmail: subscribed to both alarms topics. */
    alarmEmail?: string;
}

/**
 * Every failure seen: the alarms topics (the stack's region, and us-east-1 where CloudFront's metrics and so its
 * alarm live), the alarms on them (pipelineAlarms.ts) and the dashboard (dashboard.ts).
 */
export class Observability extends pulumi.ComponentResource {
    /** The alarms topics: subscribe here (the stack's region, then us-east-1 for the CDN's alarm). */
    public readonly alarmTopicArns: pulumi.Output<{ region: string; usEast1: string }>;
    public readonly dashboardUrl: pulumi.Output<string>;

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:observability:Observability", name, {}, opts);
        const usEast1 = new aws.Provider(`${name}-us-east-1`, { region: CLOUDFRONT_METRICS_REGION }, { parent: this });
        const topic = new AlarmTopic(`${name}-alarms`, { email: args.alarmEmail }, { parent: this });
        const usEast1Topic = new AlarmTopic(
            `${name}-alarms-us-east-1`,
            { email: args.alarmEmail },
            { parent: this, providers: { aws: usEast1 } },
        );
        pipelineAlarms(name, this, args.watched, args.thresholds, {
            topicArn: topic.topicArn,
            usEast1: { topicArn: usEast1Topic.topicArn, provider: usEast1 },
        });
        if (args.watched.cdnAdditionalMetrics) {
            // CacheHitRate and OriginLatency: published once the distribution's additional metrics are on
            // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/viewing-cloudfront-metrics.html).
            new aws.cloudfront.MonitoringSubscription(
                `${name}-cdn-metrics`,
                {
                    distributionId: args.watched.distributionId,
                    monitoringSubscription: {
                        realtimeMetricsSubscriptionConfig: { realtimeMetricsSubscriptionStatus: "Enabled" },
                    },
                },
                { parent: this },
            );
        }
        this.dashboardUrl = pipelineDashboard(args.dashboardName, this, args.watched, args.namespace);
        this.alarmTopicArns = pulumi
            .all([topic.topicArn, usEast1Topic.topicArn])
            .apply(([region, east]) => ({ region, usEast1: east }));
        this.registerOutputs({ alarmTopicArns: this.alarmTopicArns, dashboardUrl: this.dashboardUrl });
    }
}
