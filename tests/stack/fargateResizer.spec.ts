// resizerRuntime: fargate under the Pulumi mocks: what the awsx components (remote: one resource each, no children)
// receive, the network that lets only CloudFront's VPC origin reach the internal ALB, the CloudFront origin group
// pointing at the ALB, and the default lambda stack left as it was.
import { expect } from "chai";
import { HEALTH_PATH } from "../../functions/resize/server";
import { RESIZE_CONTAINER_PORT } from "../../functions/resize/settings";
import { CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST } from "../../infra/resize";
import { FAILOVER_STATUS_CODES } from "../../infra/delivery/cdnDistribution";
import { ConfigError, parsePipelineConfig } from "../../config/stackConfig";
import { evaluate, rolePolicyOf } from "../support/iamEvaluation";
import { ProgramRun, runProgram } from "../support/program";
import { MOCK_REGION, MOCK_ZONES, mockPrefixListId, RecordedResource } from "../support/pulumiMocks";

const FARGATE = { "image-pipeline:resizerRuntime": "fargate" };
const key = (r: RecordedResource) => `${r.type} ${r.name}`;

/** What only the Lambda runtime deploys: the function, its URL, role, logs, CloudFront's OAC and permissions for
 *  it, the HTTP API's GET /resize route to it, and the function's alarms (fargate has its own: ALB, tasks). */
const LAMBDA_ONLY = [
    "aws:apigatewayv2/integration:Integration uploads-resize-integration",
    "aws:apigatewayv2/route:Route uploads-get-resize",
    "aws:cloudfront/originAccessControl:OriginAccessControl cdn-resizer-oac",
    "aws:cloudwatch/logGroup:LogGroup resizer-handler-logs",
    "aws:cloudwatch/metricAlarm:MetricAlarm observability-resizer-duration",
    "aws:cloudwatch/metricAlarm:MetricAlarm observability-resizer-errors",
    "aws:cloudwatch/metricAlarm:MetricAlarm observability-resizer-throttles",
    "aws:iam/role:Role resizer-handler-role",
    "aws:iam/rolePolicy:RolePolicy resizer-handler-policy",
    "aws:lambda/function:Function resizer-handler",
    "aws:lambda/functionUrl:FunctionUrl resizer-url",
    "aws:lambda/permission:Permission cdn-invoke-resizer",
    "aws:lambda/permission:Permission cdn-invoke-resizer-url",
    "aws:lambda/permission:Permission uploads-invoke-resizer",
    "image-pipeline:resize:Resizer resizer",
];

describe("resizerRuntime fargate (infra/resize/fargateResizer.ts) under the mocks", function () {
    this.timeout(120_000);
    let lambda: ProgramRun;
    let explicitLambda: ProgramRun;
    let fargate: ProgramRun;
    let byName: (name: string) => RecordedResource;
    before(async () => {
        lambda = await runProgram({});
        explicitLambda = await runProgram({ "image-pipeline:resizerRuntime": "lambda" });
        fargate = await runProgram(FARGATE);
        byName = (name) => {
            const found = fargate.resources.filter((r) => r.name === name);
            if (found.length !== 1) throw new Error(`expected one resource ${name}, found ${found.length}`);
            return found[0];
        };
    });

    describe("the lambda stack is unchanged", () => {
        it("the default stack is the lambda stack, resource for resource, input for input, with no awsx, ECS or VPC", () => {
            expect(lambda.resources.map(key).sort()).to.deep.equal(explicitLambda.resources.map(key).sort());
            for (const resource of lambda.resources) {
                const twin = explicitLambda.resources.find((r) => key(r) === key(resource))!;
                expect(JSON.stringify(twin.inputs), key(resource)).to.equal(JSON.stringify(resource.inputs));
            }
            expect(lambda.resources.filter((r) => /^awsx:|ecs|ec2|vpc|appautoscaling/.test(r.type))).to.deep.equal([]);
        });

        it("fargate = lambda − the Lambda Resizer's resources + the Fargate ones; everything shared has the same inputs except the distribution and the dashboard", () => {
            const lambdaKeys = lambda.resources.map(key);
            const fargateKeys = fargate.resources.map(key);
            expect(lambdaKeys.filter((k) => !fargateKeys.includes(k)).sort()).to.deep.equal(LAMBDA_ONLY);
            const fargateOnly = fargateKeys.filter((k) => !lambdaKeys.includes(k));
            expect(fargateOnly.filter((k) => k.startsWith("awsx:")).sort()).to.deep.equal([
                "awsx:ec2:Vpc resizer-vpc",
                "awsx:ecr:Image resizer-image",
                "awsx:ecr:Repository resizer-repo",
                "awsx:ecs:FargateService resizer-service",
                "awsx:lb:ApplicationLoadBalancer resizer-alb",
            ]);
            const differing = lambda.resources
                .filter((r) => fargateKeys.includes(key(r)))
                .filter((r) => {
                    const twin = fargate.resources.find((f) => key(f) === key(r))!;
                    return JSON.stringify(twin.inputs) !== JSON.stringify(r.inputs);
                })
                .map(key);
            expect(differing).to.deep.equal([
                "aws:cloudfront/distribution:Distribution cdn-distribution",
                "aws:cloudwatch/dashboard:Dashboard image-pipeline-dev",
            ]);
        });
    });

    describe("the awsx components receive the args we mean", () => {
        it("the image: built from the resize function's Dockerfile, project root as context, for the configured platform", async () => {
            const image = byName("resizer-image").inputs;
            expect(image).to.include({
                context: ".",
                dockerfile: "functions/resize/Dockerfile",
                platform: "linux/arm64",
            });
            expect(image.repositoryUrl).to.equal(byName("resizer-repo").state.url);
            const x86 = await runProgram({ ...FARGATE, "image-pipeline:resizerArchitecture": "x86_64" });
            expect(x86.one("awsx:ecr:Image").inputs.platform).to.equal("linux/amd64");
            expect(
                x86.one("awsx:ecs:FargateService").inputs.taskDefinitionArgs.runtimePlatform.cpuArchitecture,
            ).to.equal("X86_64");
        });

        it("the service: CPU/memory, desired = min tasks, private subnets without public IPs, the task SG, the image, port → target group, the task role", () => {
            const service = byName("resizer-service").inputs;
            const vpc = byName("resizer-vpc").state;
            const task = service.taskDefinitionArgs;
            expect([task.cpu, task.memory]).to.deep.equal(["1024", "2048"]);
            expect(task.runtimePlatform).to.deep.equal({ cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" });
            expect(service.desiredCount).to.equal(1);
            expect(service.networkConfiguration).to.deep.equal({
                subnets: vpc.privateSubnetIds,
                securityGroups: ["resizer-task-sg-id"],
                assignPublicIp: false,
            });
            expect(task.taskRole.roleArn).to.equal(byName("resizer-task-role").state.arn);
            expect(task.container.image).to.equal(byName("resizer-image").state.imageUri);
            expect(task.container.portMappings).to.have.length(1);
            expect(task.container.portMappings[0].containerPort).to.equal(RESIZE_CONTAINER_PORT);
            expect(task.container.portMappings[0].targetGroup.arn).to.equal(
                byName("resizer-alb").state.defaultTargetGroup.arn,
            );
            const env = Object.fromEntries(
                task.container.environment.map((e: { name: string; value: string }) => [e.name, e.value]),
            );
            expect(env).to.include({ BUCKET_NAME: "images-bucket-0a1b2c3", PORT: String(RESIZE_CONTAINER_PORT) });
        });

        it("config sizes the tasks and the autoscaling: cpu, memory, min/max, target CPU", async () => {
            const run = await runProgram({
                ...FARGATE,
                "image-pipeline:fargateCpu": "2048",
                "image-pipeline:fargateMemoryMb": "8192",
                "image-pipeline:fargateMinTasks": "2",
                "image-pipeline:fargateMaxTasks": "6",
                "image-pipeline:fargateTargetCpuPercent": "45",
            });
            const task = run.one("awsx:ecs:FargateService").inputs.taskDefinitionArgs;
            expect([task.cpu, task.memory]).to.deep.equal(["2048", "8192"]);
            expect(run.one("awsx:ecs:FargateService").inputs.desiredCount).to.equal(2);
            expect(run.one("aws:appautoscaling/target:Target").inputs).to.include({
                minCapacity: 2,
                maxCapacity: 6,
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: "service/resizer-cluster/resizer-service-svc",
            });
            expect(
                run.one("aws:appautoscaling/policy:Policy").inputs.targetTrackingScalingPolicyConfiguration,
            ).to.deep.equal({
                predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
                targetValue: 45,
            });
        });

        it("fargateTargetRequestsPerTask adds a second policy on the ALB's requests per target, labelled with both ARN suffixes", async () => {
            const run = await runProgram({ ...FARGATE, "image-pipeline:fargateTargetRequestsPerTask": "300" });
            const policies = run.ofType("aws:appautoscaling/policy:Policy");
            expect(policies.map((p) => p.name).sort()).to.deep.equal([
                "resizer-cpu-tracking",
                "resizer-requests-tracking",
            ]);
            const requests = policies.find((p) => p.name === "resizer-requests-tracking")!.inputs;
            expect(requests.resourceId).to.equal("service/resizer-cluster/resizer-service-svc");
            expect(requests.targetTrackingScalingPolicyConfiguration).to.deep.equal({
                predefinedMetricSpecification: {
                    predefinedMetricType: "ALBRequestCountPerTarget",
                    resourceLabel: "app/resizer-alb/0123456789abcdef/targetgroup/resizer-alb/0123456789abcdef",
                },
                targetValue: 300,
            });
            expect(fargate.ofType("aws:appautoscaling/policy:Policy")).to.have.length(1); // off by default
        });

        it(`the ALB: internal, in the private subnets, only our SG, target group on the container port with health check ${HEALTH_PATH}`, () => {
            const alb = byName("resizer-alb").inputs;
            expect(alb.internal).to.equal(true);
            expect(alb.subnetIds).to.deep.equal(byName("resizer-vpc").state.privateSubnetIds);
            expect(alb.securityGroups).to.deep.equal(["resizer-alb-sg-id"]);
            expect(alb.defaultSecurityGroup).to.deep.equal({ skip: true }); // awsx's default admits 0.0.0.0/0
            expect(alb.listener).to.deep.equal({ port: 80, protocol: "HTTP" });
            expect(alb.defaultTargetGroup).to.deep.include({
                port: RESIZE_CONTAINER_PORT,
                protocol: "HTTP",
                targetType: "ip",
            });
            expect(alb.defaultTargetGroup.healthCheck).to.include({ path: HEALTH_PATH, matcher: "200" });
        });

        it("the VPC: private and public subnets in two zones, one NAT gateway, S3 through a gateway endpoint on its route tables", () => {
            const vpc = byName("resizer-vpc");
            expect(vpc.inputs).to.deep.include({
                availabilityZoneNames: MOCK_ZONES[MOCK_REGION].slice(0, 2).map(([name]) => name),
                natGateways: { strategy: "Single" },
                subnetSpecs: [{ type: "Private" }, { type: "Public" }],
            });
            expect(byName("resizer-s3-endpoint").inputs).to.deep.include({
                vpcId: vpc.state.vpcId,
                serviceName: `com.amazonaws.${MOCK_REGION}.s3`,
                vpcEndpointType: "Gateway",
                routeTableIds: vpc.state.routeTables.map((table: { id: string }) => table.id),
            });
        });
    });

    describe("the execution role: pulls this repository's image and writes this log group, nothing else", () => {
        const asExecutionRole = (action: string, resource: string) => {
            const role = rolePolicyOf(fargate, "resizer-execution-role");
            return evaluate({ principal: role.arn, identityPolicies: [role.policy], action, resource });
        };

        it("is the service's execution role, with no managed policy attached", () => {
            expect(byName("resizer-service").inputs.taskDefinitionArgs.executionRole).to.deep.equal({
                roleArn: byName("resizer-execution-role").state.arn,
            });
            expect(fargate.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.deep.equal([]);
        });

        it("evaluated: pulls from the Resizer's repository only; reads no image", async () => {
            const repository = byName("resizer-repo").state.repository.arn;
            const other = repository.replace(/repository\/.*$/, "repository/someone-else");
            for (const action of [
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchCheckLayerAvailability",
            ]) {
                expect(await asExecutionRole(action, repository), action).to.equal("Allowed");
                expect(await asExecutionRole(action, other), `${action} elsewhere`).to.not.equal("Allowed");
            }
            expect(await asExecutionRole("ecr:GetAuthorizationToken", "*")).to.equal("Allowed");
            expect(await asExecutionRole("ecr:PutImage", repository)).to.not.equal("Allowed");
            const bucket = fargate.one("aws:s3/bucket:Bucket").state.arn;
            expect(await asExecutionRole("s3:GetObject", `${bucket}/uploads/a.jpg`)).to.not.equal("Allowed");
        });

        it("writes logs only to the Resizer's own log group", () => {
            const statements = rolePolicyOf(fargate, "resizer-execution-role").policy.Statement as Array<{
                Sid?: string;
                Resource?: unknown;
            }>;
            const logs = statements.find((statement) => statement.Sid === "WriteOwnLogs")!;
            expect(logs.Resource).to.equal(`${byName("resizer-logs").state.arn}:*`);
        });
    });

    describe("security groups: only CloudFront's VPC origin reaches the ALB, only the ALB reaches the tasks", () => {
        const rules = (type: string) =>
            fargate.ofType(`aws:vpc/securityGroup${type}Rule:SecurityGroup${type}Rule`).map((r) => r.inputs);

        it("ingress: the ALB from CloudFront's origin-facing prefix list on 80, the tasks from the ALB's SG on the container port; nothing else", () => {
            expect(rules("Ingress")).to.have.deep.members([
                {
                    securityGroupId: "resizer-alb-sg-id",
                    prefixListId: mockPrefixListId(CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST),
                    ipProtocol: "tcp",
                    fromPort: 80,
                    toPort: 80,
                },
                {
                    securityGroupId: "resizer-task-sg-id",
                    referencedSecurityGroupId: "resizer-alb-sg-id",
                    ipProtocol: "tcp",
                    fromPort: RESIZE_CONTAINER_PORT,
                    toPort: RESIZE_CONTAINER_PORT,
                },
            ]);
            for (const group of fargate.ofType("aws:ec2/securityGroup:SecurityGroup")) {
                expect(group.inputs.ingress, group.name).to.equal(undefined); // no inline rules beside these
            }
        });

        it("egress: the ALB only to the tasks' port, the tasks only HTTPS", () => {
            expect(rules("Egress")).to.have.deep.members([
                {
                    securityGroupId: "resizer-alb-sg-id",
                    referencedSecurityGroupId: "resizer-task-sg-id",
                    ipProtocol: "tcp",
                    fromPort: RESIZE_CONTAINER_PORT,
                    toPort: RESIZE_CONTAINER_PORT,
                },
                {
                    securityGroupId: "resizer-task-sg-id",
                    cidrIpv4: "0.0.0.0/0",
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                },
            ]);
        });
    });

    describe("CloudFront", () => {
        const distribution = (run: ProgramRun) => run.one("aws:cloudfront/distribution:Distribution").inputs;

        it("the origin group's secondary is the ALB, through a VPC origin (http-only inside the VPC), with the Lambda origin's timeout and attempts", () => {
            const vpcOrigin = fargate.one("aws:cloudfront/vpcOrigin:VpcOrigin").inputs.vpcOriginEndpointConfig;
            const alb = byName("resizer-alb").state.loadBalancer;
            expect(vpcOrigin).to.deep.include({ arn: alb.arn, httpPort: 80, originProtocolPolicy: "http-only" });
            const { origins, originGroups } = distribution(fargate);
            expect(originGroups).to.deep.equal(distribution(lambda).originGroups);
            expect(originGroups[0].failoverCriteria.statusCodes).to.deep.equal(FAILOVER_STATUS_CODES);
            const secondary = origins.find(
                (o: { originId: string }) => o.originId === originGroups[0].members[1].originId,
            );
            const lambdaSecondary = distribution(lambda).origins.find(
                (o: { originId: string }) => o.originId === originGroups[0].members[1].originId,
            );
            expect(secondary).to.deep.equal({
                originId: lambdaSecondary.originId,
                domainName: alb.dnsName,
                connectionAttempts: lambdaSecondary.connectionAttempts,
                vpcOriginConfig: {
                    vpcOriginId: "cdn-resizer-vpc-origin-id",
                    originReadTimeout: lambdaSecondary.customOriginConfig.originReadTimeout,
                },
            });
            expect(secondary).to.not.have.property("originAccessControlId");
        });

        it("the same behaviours and error caching as with the Lambda origin", () => {
            for (const field of ["defaultCacheBehavior", "orderedCacheBehaviors", "customErrorResponses"]) {
                expect(distribution(fargate)[field], field).to.deep.equal(distribution(lambda)[field]);
            }
        });
    });

    // https://docs.aws.amazon.com/AmazonECS/latest/userguide/task-cpu-memory-error.html: ECS refuses other pairs.
    describe("config", () => {
        const problems = (set: Record<string, string>) => {
            try {
                parsePipelineConfig(
                    Object.fromEntries(Object.entries(set).map(([k, v]) => [`image-pipeline:${k}`, v])),
                    "image-pipeline",
                );
                return [];
            } catch (error) {
                return (error as ConfigError).problems;
            }
        };

        it("refuses a CPU/memory pair that is not a Fargate size, naming the sizes allowed", () => {
            expect(problems({ fargateCpu: "256", fargateMemoryMb: "4096" })).to.deep.equal([
                "image-pipeline:fargateMemoryMb: 4096 is not a Fargate size with fargateCpu 256; allowed: 512, 1024, 2048 MiB",
            ]);
            expect(problems({ fargateCpu: "4096", fargateMemoryMb: "8192" })).to.deep.equal([]);
            expect(problems({ fargateCpu: "1024", fargateMemoryMb: "2500" })).to.have.length(1);
            expect(problems({ fargateCpu: "3000" })).to.have.length(1);
        });

        it("refuses more min tasks than max, no task at all, and an unknown runtime; lambda is the default", () => {
            expect(problems({ fargateMinTasks: "5", fargateMaxTasks: "2" })).to.deep.equal([
                "image-pipeline:fargateMinTasks (5) exceeds image-pipeline:fargateMaxTasks (2)",
            ]);
            expect(problems({ fargateMinTasks: "0" })).to.have.length(1);
            expect(problems({ resizerRuntime: "kubernetes" })).to.have.length(1);
            expect(problems({ fargateTargetRequestsPerTask: "0" })).to.have.length(1);
            expect(parsePipelineConfig({}, "image-pipeline").fargateTargetRequestsPerTask).to.equal(undefined);
            expect(parsePipelineConfig({}, "image-pipeline").resizerRuntime).to.equal("lambda");
        });
    });
});
