import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";

/**
 * The Availability Zones, by zone ID, where CloudFront VPC origins are not supported ("Restrict access with VPC
 * origins": us-east-1 except use1-az3, us-west-1 except usw1-az2, ap-northeast-1 except apne1-az3, ca-central-1
 * except cac1-az3): https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html
 * A zone's name (us-east-1a) maps to a different zone ID in each account, so zones are chosen by ID; each ID
 * belongs to one region, so the whole list can be excluded everywhere.
 */
export const VPC_ORIGIN_UNSUPPORTED_ZONE_IDS = ["use1-az3", "usw1-az2", "apne1-az3", "cac1-az3"];
/** An ALB needs subnets in at least two Availability Zones. */
export const RESIZER_ZONE_COUNT = 2;

/** What the DescribeAvailabilityZones lookup asks for: zones (no Local or Wavelength Zones) VPC origins support. */
export const VPC_ORIGIN_ZONES_QUERY: aws.GetAvailabilityZonesArgs = {
    state: "available",
    excludeZoneIds: VPC_ORIGIN_UNSUPPORTED_ZONE_IDS,
    filters: [{ name: "zone-type", values: ["availability-zone"] }],
};

/** The first `count` zones of the lookup, by name (what awsx.ec2.Vpc takes); too few is a deploy-time error. */
export function vpcOriginZoneNames(zones: { names: string[]; zoneIds: string[] }, count: number): string[] {
    if (zones.names.length < count) {
        throw new Error(
            `resizerRuntime fargate needs ${count} Availability Zones that CloudFront VPC origins support; this ` +
                `account has ${zones.names.length} in this region (${zones.zoneIds.join(", ") || "none"}; ` +
                `${VPC_ORIGIN_UNSUPPORTED_ZONE_IDS.join(", ")} are not supported). Deploy to another region, or ` +
                "set resizerRuntime to lambda.",
        );
    }
    return zones.names.slice(0, count);
}

interface NetworkData {
    vpcId: pulumi.Output<string>;
    privateSubnetIds: pulumi.Output<string[]>;
}

/**
 * The fargate Resizer's VPC: private subnets (tasks, internal ALB) and public ones (the NAT gateway, and the
 * internet gateway VPC origins require) in two zones VPC origins support, one NAT gateway, S3 through a gateway
 * endpoint. The zones come from an account lookup awsx.ec2.Vpc must have as plain names, hence `initialize`
 * (awaited by the engine, as awsx's own components do) rather than the constructor.
 */
export class ResizerNetwork extends pulumi.ComponentResource<NetworkData> {
    public readonly vpcId: pulumi.Output<string>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;

    /** Its children are named `${prefix}-vpc` and `${prefix}-s3-endpoint`. */
    constructor(prefix: string, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:resize:ResizerNetwork", `${prefix}-network`, { prefix }, opts);
        const data = pulumi.output(this.getData());
        this.vpcId = data.vpcId;
        this.privateSubnetIds = data.privateSubnetIds;
    }

    protected override async initialize(args: { prefix: string }): Promise<NetworkData> {
        const parent = { parent: this };
        const zones = await aws.getAvailabilityZones(VPC_ORIGIN_ZONES_QUERY, parent);
        const vpc = new awsx.ec2.Vpc(
            `${args.prefix}-vpc`,
            {
                availabilityZoneNames: vpcOriginZoneNames(zones, RESIZER_ZONE_COUNT),
                natGateways: { strategy: "Single" },
                subnetStrategy: "Auto",
                subnetSpecs: [{ type: "Private" }, { type: "Public" }],
            },
            parent,
        );
        const region = aws.getRegionOutput({}, parent).region;
        new aws.ec2.VpcEndpoint(
            `${args.prefix}-s3-endpoint`,
            {
                vpcId: vpc.vpcId,
                serviceName: pulumi.interpolate`com.amazonaws.${region}.s3`,
                vpcEndpointType: "Gateway",
                routeTableIds: vpc.routeTables.apply((tables) => tables.map((table) => table.id)),
            },
            parent,
        );
        return { vpcId: vpc.vpcId, privateSubnetIds: vpc.privateSubnetIds };
    }
}

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

export interface ResizerSecurityGroups {
    /** The internal ALB's: the listener port from CloudFront's VPC origin only, out to the tasks only. */
    albGroup: aws.ec2.SecurityGroup;
    /** The tasks': the container port from the ALB only, HTTPS out. */
    taskGroup: aws.ec2.SecurityGroup;
}

/** The two security groups of the fargate Resizer (children of `parent`, named `${name}-alb-sg`, `${name}-task-sg`). */
export function resizerSecurityGroups(
    name: string,
    parent: pulumi.Resource,
    vpcId: pulumi.Input<string>,
    containerPort: number,
): ResizerSecurityGroups {
    const opts = { parent };
    const cloudfront = aws.ec2.getManagedPrefixListOutput({ name: CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST }, opts);
    const albGroup = new aws.ec2.SecurityGroup(
        `${name}-alb-sg`,
        { vpcId, description: "Resizer ALB: HTTP from CloudFront's VPC origin only" },
        opts,
    );
    const taskGroup = new aws.ec2.SecurityGroup(
        `${name}-task-sg`,
        { vpcId, description: "Resizer tasks: the container port from the ALB only" },
        opts,
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
        opts,
    );
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-alb-to-tasks`,
        {
            securityGroupId: albGroup.id,
            referencedSecurityGroupId: taskGroup.id,
            ipProtocol: "tcp",
            fromPort: containerPort,
            toPort: containerPort,
        },
        opts,
    );
    new aws.vpc.SecurityGroupIngressRule(
        `${name}-tasks-from-alb`,
        {
            securityGroupId: taskGroup.id,
            referencedSecurityGroupId: albGroup.id,
            ipProtocol: "tcp",
            fromPort: containerPort,
            toPort: containerPort,
        },
        opts,
    );
    // HTTPS out only: S3 (gateway endpoint), ECR and CloudWatch Logs (NAT). Private subnets: nothing gets in.
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-tasks-https-out`,
        { securityGroupId: taskGroup.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443 },
        opts,
    );
    return { albGroup, taskGroup };
}
