// The deploy prerequisites name what a deploy really needs: every AWS service whose resources (or look-ups) the
// program declares under the mocks, for each runtime; the service-linked roles those services create on first use
// (and so `iam:CreateServiceLinkedRole`); and, when the stack builds an image, Docker with buildx. The services
// come from the resource types (`aws:<module>/…`, awsx's components), so a new kind of resource without its
// service in the docs fails here.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { RESIZER_DOCKERFILE } from "../../infra/resize";
import { PROJECT_DIR, ProgramRun, runProgram } from "../support/program";
import { invocations } from "../support/pulumiMocks";
import { DocFile, projectDocs, statements, tablesWith } from "../support/projectDocs";

/** @pulumi/aws modules → the AWS service whose API they call. */
const AWS_MODULE_SERVICES: Record<string, string> = {
    s3: "Amazon S3",
    cloudfront: "Amazon CloudFront",
    lambda: "AWS Lambda",
    apigatewayv2: "Amazon API Gateway",
    iam: "AWS IAM",
    kms: "AWS KMS",
    sns: "Amazon SNS",
    sqs: "Amazon SQS",
    cloudwatch: "Amazon CloudWatch",
    ec2: "Amazon EC2",
    vpc: "Amazon EC2", // aws.vpc.SecurityGroup*Rule: EC2's AuthorizeSecurityGroup* API
    ecs: "Amazon ECS",
    ecr: "Amazon ECR",
    lb: "Elastic Load Balancing",
    appautoscaling: "Application Auto Scaling",
    secretsmanager: "AWS Secrets Manager",
};
/** awsx components (remote: no children under the mocks) → the services of the resources they create. */
const AWSX_SERVICES: Record<string, string[]> = {
    "awsx:ec2:Vpc": ["Amazon EC2"],
    "awsx:lb:ApplicationLoadBalancer": ["Elastic Load Balancing"],
    "awsx:ecr:Repository": ["Amazon ECR"],
    "awsx:ecr:Image": ["Amazon ECR"],
    "awsx:ecs:FargateService": ["Amazon ECS"],
};
/** Invokes the provider answers without calling AWS, or from the credentials alone. */
const LOCAL_INVOKES = ["aws:iam/getPolicyDocument:getPolicyDocument", "aws:index/getRegion:getRegion"];
/** Services that create a service-linked role on first use: the deploying identity needs iam:CreateServiceLinkedRole. */
const SERVICE_LINKED_ROLES: Record<string, string> = {
    "aws:cloudfront/vpcOrigin:VpcOrigin": "AWSServiceRoleForCloudFrontVPCOrigin",
    "aws:appautoscaling/target:Target": "AWSServiceRoleForApplicationAutoScaling_ECSService",
    "awsx:ecs:FargateService": "AWSServiceRoleForECS",
    "awsx:lb:ApplicationLoadBalancer": "AWSServiceRoleForElasticLoadBalancing",
};

/** The services a run's resources and look-ups use; an unknown type or module fails, naming it. */
function servicesOf(run: ProgramRun, calls: Array<{ token: string }>): Set<string> {
    const services = new Set<string>();
    for (const { type } of run.resources) {
        // The tls provider makes its key pair on the deploying machine (privateDelivery): no AWS call.
        if (type.startsWith("image-pipeline:") || type.startsWith("pulumi:") || type.startsWith("tls:")) continue;
        const aws = /^aws:(\w+)\//.exec(type);
        const found = aws ? [AWS_MODULE_SERVICES[aws[1]]] : AWSX_SERVICES[type];
        if (!found?.[0]) throw new Error(`${type}: map it to its AWS service in this spec (and name it in the docs)`);
        for (const service of found) services.add(service);
    }
    for (const { token } of calls) {
        if (LOCAL_INVOKES.includes(token)) continue;
        const module =
            token === "aws:index/getAvailabilityZones:getAvailabilityZones" ? "ec2" : /^aws:(\w+)\//.exec(token)?.[1];
        if (!module || !AWS_MODULE_SERVICES[module]) throw new Error(`${token}: map this look-up to its AWS service`);
        services.add(AWS_MODULE_SERVICES[module]);
    }
    return services;
}

describe("deploy prerequisites name every AWS service, service-linked role and tool a deploy needs", function () {
    this.timeout(180_000);
    let docs: DocFile[];
    const runs: Record<"lambda" | "fargate" | "private", { run: ProgramRun; services: Set<string> }> = {} as never;
    let table: string[][];
    before(async () => {
        docs = projectDocs();
        for (const [stack, config] of [
            ["lambda", {}],
            ["fargate", { "image-pipeline:resizerRuntime": "fargate", "image-pipeline:kmsKeyArn": "create" }],
            ["private", { "image-pipeline:privateDelivery": "true" }],
        ] as const) {
            const run = await runProgram(config);
            runs[stack] = { run, services: servicesOf(run, [...invocations]) };
        }
        const tables = tablesWith(docs, [/^AWS service$/, /^runtime$/]);
        expect(tables, "one table with columns AWS service … runtime").to.have.length(1);
        table = tables[0].rows;
    });

    const runtimeOf = (service: string) => table.find((row) => row[0] === service)?.at(-1);

    it("derives the services from the resources: both runtimes share the lambda stack's, fargate adds its own", () => {
        expect([...runs.lambda.services]).to.include.members(["Amazon S3", "Amazon CloudFront", "AWS Lambda"]);
        expect([...runs.fargate.services]).to.include.members(["Amazon EC2", "Amazon ECS", "Application Auto Scaling"]);
    });

    it("lists every service the lambda stack uses as needed by both runtimes", () => {
        for (const service of runs.lambda.services) expect(runtimeOf(service), service).to.equal("both");
    });

    it("lists every service a private stack (privateDelivery) uses as needed by both runtimes", () => {
        expect([...runs.private.services]).to.include("AWS Secrets Manager");
        for (const service of runs.private.services) expect(runtimeOf(service), service).to.equal("both");
    });

    it("lists every service only the fargate stack uses as needed by fargate", () => {
        for (const service of runs.fargate.services) {
            expect(runtimeOf(service), service).to.equal(runs.lambda.services.has(service) ? "both" : "fargate");
        }
    });

    it("names each service-linked role the fargate stack's services create, and iam:CreateServiceLinkedRole", () => {
        const roles = Object.entries(SERVICE_LINKED_ROLES)
            .filter(([type]) => runs.fargate.run.ofType(type).length > 0)
            .map(([, role]) => role);
        expect(roles).to.include("AWSServiceRoleForCloudFrontVPCOrigin");
        for (const role of roles) expect(statements(docs, new RegExp(`\`${role}\``, "g")), role).to.not.be.empty;
        expect(statements(docs, /`iam:CreateServiceLinkedRole`/g)).to.not.be.empty;
    });

    it("names Docker with buildx for the image awsx.ecr.Image builds (docker-build), and when emulation is needed", () => {
        expect(runs.fargate.run.ofType("awsx:ecr:Image")).to.have.length(1);
        expect(statements(docs, /Docker[^.]* with the buildx plugin/g)).to.not.be.empty;
        expect(statements(docs, /QEMU emulation/g)).to.not.be.empty;
    });

    it("'builds on an x86_64 machine without emulation' holds: only the build platform's stages run commands", () => {
        expect(statements(docs, /without emulation/g)).to.not.be.empty;
        const text = fs.readFileSync(path.join(PROJECT_DIR, RESIZER_DOCKERFILE), "utf8").replace(/\\\n/g, " ");
        const stages = text.split(/^FROM /m).slice(1);
        for (const stage of stages) {
            const onBuildPlatform = stage.startsWith("--platform=$BUILDPLATFORM ");
            const runs = stage.split("\n").filter((line) => /^RUN\s/.test(line.trim()));
            if (!onBuildPlatform) expect(runs, `a RUN in a target-platform stage: ${stage.split("\n")[0]}`).to.be.empty;
        }
    });
});
