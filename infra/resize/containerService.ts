// The fargate Resizer's service: its image (built from functions/resize/Dockerfile, pushed to a repository of its
// own), the internal ALB in front of it, and the ECS cluster and Fargate service running it.
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { encodeResizeContainerSettings, RESIZE_CONTAINER_PORT, ResizeSettings } from "../../functions/resize/settings";
import { HEALTH_PATH, KEEP_ALIVE_TIMEOUT_MS } from "../../functions/resize/server";
import type { LogLevel } from "../../functions/shared/structuredLog";
import { LambdaArchitecture } from "../builders/resizerArchive";
import { ALB_LISTENER_PORT } from "./resizerNetwork";

/** The image's build: the project root as context (the Dockerfile copies functions/ and infra/resizer-packages/). */
export const RESIZER_DOCKERFILE = "functions/resize/Dockerfile";
/** Docker's platform for each architecture the config allows (the same two Lambda offers). */
export const CONTAINER_PLATFORMS: Record<LambdaArchitecture, { docker: string; ecs: string }> = {
    arm64: { docker: "linux/arm64", ecs: "ARM64" },
    x86_64: { docker: "linux/amd64", ecs: "X86_64" },
};
/** The ALB's idle timeout (its default); the container keeps connections open longer (KEEP_ALIVE_TIMEOUT_MS). */
export const ALB_IDLE_TIMEOUT_SECONDS = 60;
if (KEEP_ALIVE_TIMEOUT_MS <= ALB_IDLE_TIMEOUT_SECONDS * 1000) throw new Error("keep-alive must outlast the ALB");

/**
 * After creation the service's task count belongs to Application Auto Scaling: the service keeps `desiredCount`
 * (minTasks) for its creation only, or every `pulumi up` after a refresh would set the count back to minTasks
 * while target tracking holds more. The service is a child of awsx's remote FargateService, which only
 * `transforms` reach (https://www.pulumi.com/docs/iac/concepts/options/transforms/).
 */
export const letAutoscalingOwnDesiredCount: pulumi.ResourceTransform = (args) =>
    args.type === "aws:ecs/service:Service"
        ? { props: args.props, opts: pulumi.mergeOptions(args.opts, { ignoreChanges: ["desiredCount"] }) }
        : undefined;

/** The internal ALB `${name}-alb` (a child of `parent`) in the private subnets, forwarding to the tasks' port. */
export function resizerLoadBalancer(
    name: string,
    parent: pulumi.Resource,
    network: { subnetIds: pulumi.Input<string[]>; securityGroupId: pulumi.Input<string> },
): awsx.lb.ApplicationLoadBalancer {
    return new awsx.lb.ApplicationLoadBalancer(
        `${name}-alb`,
        {
            internal: true,
            subnetIds: network.subnetIds,
            securityGroups: [network.securityGroupId],
            defaultSecurityGroup: { skip: true },
            idleTimeout: ALB_IDLE_TIMEOUT_SECONDS,
            dropInvalidHeaderFields: true,
            listener: { port: ALB_LISTENER_PORT, protocol: "HTTP" },
            defaultTargetGroup: {
                port: RESIZE_CONTAINER_PORT,
                protocol: "HTTP",
                targetType: "ip",
                // A resize takes seconds: 30 s lets one in flight finish before the task gets SIGTERM.
                deregistrationDelay: 30,
                healthCheck: { path: HEALTH_PATH, matcher: "200", interval: 15, healthyThreshold: 2 },
            },
        },
        { parent },
    );
}

/** The repository `${name}-repo` and the image `${name}-image` built for `architecture` and pushed there. */
export function resizerImage(name: string, parent: pulumi.Resource, architecture: LambdaArchitecture) {
    const repository = new awsx.ecr.Repository(`${name}-repo`, { forceDelete: true }, { parent });
    const image = new awsx.ecr.Image(
        `${name}-image`,
        {
            repositoryUrl: repository.url,
            context: ".", // the Pulumi program runs in the project root
            dockerfile: RESIZER_DOCKERFILE,
            platform: CONTAINER_PLATFORMS[architecture].docker,
        },
        { parent },
    );
    return { repository, image };
}

export interface ResizerServiceArgs {
    settings: pulumi.Input<ResizeSettings>;
    architecture: LambdaArchitecture;
    /** CPU units and memory MiB: one of Fargate's sizes (config/fargateSizes.ts checks). */
    cpu: string;
    memoryMb: number;
    /** The task count the service is created with; Application Auto Scaling owns it afterwards. */
    desiredCount: number;
    imageUri: pulumi.Input<string>;
    subnetIds: pulumi.Input<string[]>;
    securityGroupId: pulumi.Input<string>;
    taskRoleArn: pulumi.Input<string>;
    executionRoleArn: pulumi.Input<string>;
    logGroupName: pulumi.Input<string>;
    targetGroup: pulumi.Input<aws.lb.TargetGroup>;
    logLevel: LogLevel;
}

/** The cluster `${name}-cluster` and the Fargate service `${name}-service` running the Resizer's container. */
export function resizerService(name: string, parent: pulumi.Resource, args: ResizerServiceArgs) {
    // Container Insights publishes the service's RunningTaskCount (ECS/ContainerInsights), which the "tasks at
    // fargateMaxTasks" alarm watches; AWS/ECS has no task count for a Fargate service. Its metrics are billed as
    // custom metrics (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cloudwatch-container-insights.html).
    const cluster = new aws.ecs.Cluster(
        `${name}-cluster`,
        { settings: [{ name: "containerInsights", value: "enabled" }] },
        { parent },
    );
    const service = new awsx.ecs.FargateService(
        `${name}-service`,
        {
            cluster: cluster.arn,
            desiredCount: args.desiredCount,
            networkConfiguration: {
                subnets: args.subnetIds,
                securityGroups: [args.securityGroupId],
                assignPublicIp: false,
            },
            taskDefinitionArgs: {
                cpu: args.cpu,
                memory: String(args.memoryMb),
                runtimePlatform: {
                    cpuArchitecture: CONTAINER_PLATFORMS[args.architecture].ecs,
                    operatingSystemFamily: "LINUX",
                },
                taskRole: { roleArn: args.taskRoleArn },
                executionRole: { roleArn: args.executionRoleArn },
                logGroup: { existing: { name: args.logGroupName } },
                container: {
                    name: "resizer",
                    image: args.imageUri,
                    essential: true,
                    readonlyRootFilesystem: true,
                    // SIGTERM, then this long to finish resizes in flight before SIGKILL.
                    stopTimeout: 30,
                    portMappings: [{ containerPort: RESIZE_CONTAINER_PORT, targetGroup: args.targetGroup }],
                    environment: pulumi.output(args.settings).apply((settings) =>
                        Object.entries(
                            encodeResizeContainerSettings(settings, RESIZE_CONTAINER_PORT, args.logLevel),
                        ).map(([name, value]) => ({
                            name,
                            value,
                        })),
                    ),
                },
            },
        },
        { parent, transforms: [letAutoscalingOwnDesiredCount] },
    );
    return { cluster, service };
}
