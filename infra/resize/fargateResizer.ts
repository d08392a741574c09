import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { LogLevel } from "../../functions/shared/structuredLog";
import { RESIZE_CONTAINER_PORT, ResizeSettings } from "../../functions/resize/settings";
import { LambdaArchitecture } from "../builders/resizerArchive";
import type { WatchedResizer } from "../observability/watchedPipeline";
import { resizerExecutionRole, resizerTaskRole } from "./containerRoles";
import { resizerScaling } from "./containerScaling";
import { resizerImage, resizerLoadBalancer, resizerService } from "./containerService";
import { ALB_LISTENER_PORT, ResizerNetwork, resizerSecurityGroups } from "./resizerNetwork";

export interface FargateResizerArgs {
    /** The container's log level (config logLevel), in its environment as POWERTOOLS_LOG_LEVEL. */
    logLevel: LogLevel;
    bucketArn: pulumi.Input<string>;
    settings: pulumi.Input<ResizeSettings>;
    architecture: LambdaArchitecture;
    /** CPU units and memory MiB: one of Fargate's sizes (config/fargateSizes.ts checks). */
    cpu: string;
    memoryMb: number;
    minTasks: number;
    maxTasks: number;
    /** Average CPU % that target tracking keeps between minTasks and maxTasks. */
    targetCpuPercent: number;
    /** When set, a second policy keeps ALB requests per task (per minute) at this level; scale-out when either asks. */
    targetRequestsPerTask?: number;
    kmsKeyArn?: pulumi.Input<string>;
}

/**
 * The Resizer as containers on ECS Fargate (the same handler as the Lambda, behind functions/resize/server.ts),
 * behind an internal ALB in private subnets that only CloudFront reaches, through a VPC origin. Tasks reach S3
 * through a gateway endpoint; one NAT gateway serves what has no gateway endpoint (pulling the image from ECR,
 * CloudWatch Logs) and is cheaper than three interface endpoints in two zones. Its parts: the network
 * (resizerNetwork.ts), the roles (containerRoles.ts), the service (containerService.ts), the scaling
 * (containerScaling.ts).
 */
export class FargateResizer extends pulumi.ComponentResource {
    /** The internal ALB, for the CloudFront VPC origin. */
    public readonly loadBalancerArn: pulumi.Output<string>;
    public readonly loadBalancerDnsName: pulumi.Output<string>;
    /** The ALB's HTTP listener port, which the VPC origin connects to. */
    public readonly httpPort = ALB_LISTENER_PORT;
    public readonly taskRoleArn: pulumi.Output<string>;
    /** What the alarms and the dashboard watch (infra/observability/). */
    public readonly watched: WatchedResizer;

    constructor(name: string, args: FargateResizerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:resize:FargateResizer", name, {}, opts);

        // Two zones VPC origins support; S3 through a gateway endpoint, the rest through one NAT gateway.
        const vpc = new ResizerNetwork(name, { parent: this });
        const { albGroup, taskGroup } = resizerSecurityGroups(name, this, vpc.vpcId, RESIZE_CONTAINER_PORT);
        const alb = resizerLoadBalancer(name, this, { subnetIds: vpc.privateSubnetIds, securityGroupId: albGroup.id });
        const { repository, image } = resizerImage(name, this, args.architecture);

        const taskRole = resizerTaskRole(name, this, { bucketArn: args.bucketArn, kmsKeyArn: args.kmsKeyArn });
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: 30 }, { parent: this });
        const executionRole = resizerExecutionRole(name, this, {
            repositoryArn: repository.repository.arn,
            logGroupArn: logGroup.arn,
        });

        const { cluster, service } = resizerService(name, this, {
            settings: args.settings,
            architecture: args.architecture,
            cpu: args.cpu,
            memoryMb: args.memoryMb,
            desiredCount: args.minTasks,
            imageUri: image.imageUri,
            subnetIds: vpc.privateSubnetIds,
            securityGroupId: taskGroup.id,
            taskRoleArn: taskRole.arn,
            executionRoleArn: executionRole.arn,
            logGroupName: logGroup.name,
            targetGroup: alb.defaultTargetGroup,
            logLevel: args.logLevel,
        });

        resizerScaling(name, this, {
            resourceId: pulumi.interpolate`service/${cluster.name}/${service.service.name}`,
            minTasks: args.minTasks,
            maxTasks: args.maxTasks,
            targetCpuPercent: args.targetCpuPercent,
            targetRequestsPerTask: args.targetRequestsPerTask,
            requestCountLabel: pulumi.interpolate`${alb.loadBalancer.arnSuffix}/${alb.defaultTargetGroup.arnSuffix}`,
        });

        this.loadBalancerArn = alb.loadBalancer.arn;
        this.loadBalancerDnsName = alb.loadBalancer.dnsName;
        this.taskRoleArn = taskRole.arn;
        this.watched = {
            runtime: "fargate",
            loadBalancer: alb.loadBalancer.arnSuffix,
            targetGroup: alb.defaultTargetGroup.arnSuffix,
            clusterName: cluster.name,
            serviceName: service.service.name,
            maxTasks: args.maxTasks,
            taskVcpu: Number(args.cpu) / 1024,
            taskMemoryMb: args.memoryMb,
            architecture: args.architecture,
        };
        this.registerOutputs({ loadBalancerArn: this.loadBalancerArn, loadBalancerDnsName: this.loadBalancerDnsName });
    }
}
