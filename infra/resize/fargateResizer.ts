import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { encodeResizeContainerSettings, RESIZE_CONTAINER_PORT, ResizeSettings } from "../../functions/resize/settings";
import { HEALTH_PATH, KEEP_ALIVE_TIMEOUT_MS } from "../../functions/resize/server";
import { LambdaArchitecture } from "../builders/resizerArchive";
import { assumableBy } from "../builders/lambdaRole";
import { resizerStatements } from "./resizer";
import { ResizerNetwork } from "./resizerNetwork";

/** The image's build: the project root as context (the Dockerfile copies functions/ and infra/resizer-packages/). */
export const RESIZER_DOCKERFILE = "functions/resize/Dockerfile";
/** Docker's platform for each architecture the config allows (the same two Lambda offers). */
export const CONTAINER_PLATFORMS: Record<LambdaArchitecture, { docker: string; ecs: string }> = {
    arm64: { docker: "linux/arm64", ecs: "ARM64" },
    x86_64: { docker: "linux/amd64", ecs: "X86_64" },
};
/**
 * CloudFront's origin-facing addresses, an AWS-managed prefix list: the only source the ALB's security group
 * admits. With a VPC origin, CloudFront reaches the internal ALB from inside the VPC through these addresses
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html;
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/LocationsOfEdgeServers.html#managed-prefix-list).
 */
export const CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing";
/** The ALB listens on plain HTTP inside the VPC: a VPC origin's traffic never leaves AWS's network, and HTTPS
 *  would need a certificate for a domain of the ALB's own. */
export const ALB_LISTENER_PORT = 80;
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

export interface FargateResizerArgs {
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
 * CloudWatch Logs) and is cheaper than three interface endpoints in two zones.
 */
export class FargateResizer extends pulumi.ComponentResource {
    /** The internal ALB, for the CloudFront VPC origin. */
    public readonly loadBalancerArn: pulumi.Output<string>;
    public readonly loadBalancerDnsName: pulumi.Output<string>;
    public readonly taskRoleArn: pulumi.Output<string>;

    constructor(name: string, args: FargateResizerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:resize:FargateResizer", name, {}, opts);
        const parent = { parent: this };

        // Two zones VPC origins support; S3 through a gateway endpoint, the rest through one NAT gateway.
        const vpc = new ResizerNetwork(name, parent);

        const cloudfront = aws.ec2.getManagedPrefixListOutput({ name: CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST }, parent);
        const albGroup = new aws.ec2.SecurityGroup(
            `${name}-alb-sg`,
            { vpcId: vpc.vpcId, description: "Resizer ALB: HTTP from CloudFront's VPC origin only" },
            parent,
        );
        const taskGroup = new aws.ec2.SecurityGroup(
            `${name}-task-sg`,
            { vpcId: vpc.vpcId, description: "Resizer tasks: the container port from the ALB only" },
            parent,
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-alb-from-cloudfront`,
            {
                securityGroupId: albGroup.id,
                prefixListId: cloudfront.id,
                ipProtocol: "tcp",
                fromPort: ALB_LISTENER_PORT,
                toPort: ALB_LISTENER_PORT,
            },
            parent,
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-alb-to-tasks`,
            {
                securityGroupId: albGroup.id,
                referencedSecurityGroupId: taskGroup.id,
                ipProtocol: "tcp",
                fromPort: RESIZE_CONTAINER_PORT,
                toPort: RESIZE_CONTAINER_PORT,
            },
            parent,
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-tasks-from-alb`,
            {
                securityGroupId: taskGroup.id,
                referencedSecurityGroupId: albGroup.id,
                ipProtocol: "tcp",
                fromPort: RESIZE_CONTAINER_PORT,
                toPort: RESIZE_CONTAINER_PORT,
            },
            parent,
        );
        // HTTPS out only: S3 (gateway endpoint), ECR and CloudWatch Logs (NAT). Private subnets: nothing gets in.
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-tasks-https-out`,
            { securityGroupId: taskGroup.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443 },
            parent,
        );

        const alb = new awsx.lb.ApplicationLoadBalancer(
            `${name}-alb`,
            {
                internal: true,
                subnetIds: vpc.privateSubnetIds,
                securityGroups: [albGroup.id],
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
            parent,
        );

        const repository = new awsx.ecr.Repository(`${name}-repo`, { forceDelete: true }, parent);
        const image = new awsx.ecr.Image(
            `${name}-image`,
            {
                repositoryUrl: repository.url,
                context: ".", // the Pulumi program runs in the project root
                dockerfile: RESIZER_DOCKERFILE,
                platform: CONTAINER_PLATFORMS[args.architecture].docker,
            },
            parent,
        );

        const statements = resizerStatements(args.bucketArn, args.kmsKeyArn);
        const taskRole = new aws.iam.Role(
            `${name}-task-role`,
            {
                assumeRolePolicy: assumableBy("ecs-tasks.amazonaws.com"),
            },
            parent,
        );
        new aws.iam.RolePolicy(
            `${name}-task-policy`,
            { role: taskRole.id, policy: aws.iam.getPolicyDocumentOutput({ statements }).json },
            parent,
        );
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: 30 }, parent);
        // The execution role (ECS pulls the image and ships the logs with it): this repository and this log group
        // only, instead of awsx's default (the managed AmazonECSTaskExecutionRolePolicy, on every repository and
        // log group). ecr:GetAuthorizationToken has no resource type, so it can only be granted on "*":
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
        const executionRole = new aws.iam.Role(
            `${name}-execution-role`,
            {
                assumeRolePolicy: assumableBy("ecs-tasks.amazonaws.com"),
            },
            parent,
        );
        new aws.iam.RolePolicy(
            `${name}-execution-policy`,
            {
                role: executionRole.id,
                policy: aws.iam.getPolicyDocumentOutput({
                    statements: [
                        {
                            sid: "RegistryLogin",
                            effect: "Allow",
                            actions: ["ecr:GetAuthorizationToken"],
                            resources: ["*"],
                        },
                        {
                            sid: "PullTheResizerImage",
                            effect: "Allow",
                            actions: [
                                "ecr:BatchCheckLayerAvailability",
                                "ecr:GetDownloadUrlForLayer",
                                "ecr:BatchGetImage",
                            ],
                            resources: [repository.repository.arn],
                        },
                        {
                            sid: "WriteOwnLogs",
                            effect: "Allow",
                            actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
                            resources: [pulumi.interpolate`${logGroup.arn}:*`],
                        },
                    ],
                }).json,
            },
            parent,
        );

        const cluster = new aws.ecs.Cluster(`${name}-cluster`, {}, parent);
        const service = new awsx.ecs.FargateService(
            `${name}-service`,
            {
                cluster: cluster.arn,
                desiredCount: args.minTasks,
                networkConfiguration: {
                    subnets: vpc.privateSubnetIds,
                    securityGroups: [taskGroup.id],
                    assignPublicIp: false,
                },
                taskDefinitionArgs: {
                    cpu: args.cpu,
                    memory: String(args.memoryMb),
                    runtimePlatform: {
                        cpuArchitecture: CONTAINER_PLATFORMS[args.architecture].ecs,
                        operatingSystemFamily: "LINUX",
                    },
                    taskRole: { roleArn: taskRole.arn },
                    executionRole: { roleArn: executionRole.arn },
                    logGroup: { existing: { name: logGroup.name } },
                    container: {
                        name: "resizer",
                        image: image.imageUri,
                        essential: true,
                        readonlyRootFilesystem: true,
                        // SIGTERM, then this long to finish resizes in flight before SIGKILL.
                        stopTimeout: 30,
                        portMappings: [{ containerPort: RESIZE_CONTAINER_PORT, targetGroup: alb.defaultTargetGroup }],
                        environment: pulumi.output(args.settings).apply((settings) =>
                            Object.entries(encodeResizeContainerSettings(settings)).map(([name, value]) => ({
                                name,
                                value,
                            })),
                        ),
                    },
                },
            },
            { parent: this, transforms: [letAutoscalingOwnDesiredCount] },
        );

        const scaling = new aws.appautoscaling.Target(
            `${name}-scaling`,
            {
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: pulumi.interpolate`service/${cluster.name}/${service.service.name}`,
                minCapacity: args.minTasks,
                maxCapacity: args.maxTasks,
            },
            parent,
        );
        new aws.appautoscaling.Policy(
            `${name}-cpu-tracking`,
            {
                policyType: "TargetTrackingScaling",
                serviceNamespace: scaling.serviceNamespace,
                scalableDimension: scaling.scalableDimension,
                resourceId: scaling.resourceId,
                targetTrackingScalingPolicyConfiguration: {
                    predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
                    targetValue: args.targetCpuPercent,
                },
            },
            parent,
        );

        if (args.targetRequestsPerTask !== undefined) {
            new aws.appautoscaling.Policy(
                `${name}-requests-tracking`,
                {
                    policyType: "TargetTrackingScaling",
                    serviceNamespace: scaling.serviceNamespace,
                    scalableDimension: scaling.scalableDimension,
                    resourceId: scaling.resourceId,
                    targetTrackingScalingPolicyConfiguration: {
                        predefinedMetricSpecification: {
                            predefinedMetricType: "ALBRequestCountPerTarget",
                            // app/<lb name>/<id>/targetgroup/<tg name>/<id>: the ARN suffixes of the ALB and its target group
                            // (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html).
                            resourceLabel: pulumi.interpolate`${alb.loadBalancer.arnSuffix}/${alb.defaultTargetGroup.arnSuffix}`,
                        },
                        targetValue: args.targetRequestsPerTask,
                    },
                },
                parent,
            );
        }

        this.loadBalancerArn = alb.loadBalancer.arn;
        this.loadBalancerDnsName = alb.loadBalancer.dnsName;
        this.taskRoleArn = taskRole.arn;
        this.registerOutputs({ loadBalancerArn: this.loadBalancerArn, loadBalancerDnsName: this.loadBalancerDnsName });
    }
}
