// Loaded once by mocha (.mocharc) before any spec: installs the Pulumi mocks every infra spec shares.
import { createHash, generateKeyPairSync } from "crypto";
import * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT = "123456789012";
export const MOCK_REGION = "ap-northeast-2";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    state: Record<string, any>;
    /** The explicit provider's reference (`<urn>::<id>`), when the resource was given one. */
    provider?: string;
}

/** Every resource registered since the last reset, in registration order. */
export const recorded: RecordedResource[] = [];
/** Every invoke (data source) called since the last reset, with its arguments. */
export const invocations: Array<{ token: string; inputs: Record<string, any> }> = [];
/**
 * Every resource registered since the last reset, by the URN the Pulumi engine gives it: its type qualified by all
 * its ancestors' types (`parent$child`), then its name. A resource whose URN changes is deleted and created anew by
 * `pulumi up`. The mock monitor's own URNs keep only the parent's last type, so these are built here.
 */
export const registeredUrns: string[] = [];
export function resetRecorded(): void {
    recorded.length = 0;
    invocations.length = 0;
    registeredUrns.length = 0;
}

/**
 * The Availability Zones one mock account sees, by region: [name, zone ID]. Names map to different zone IDs in
 * each account (https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html); here us-east-1a is
 * use1-az3, where CloudFront VPC origins are not supported, and this account sees only two zones of us-west-1,
 * one of them usw1-az2 (likewise unsupported).
 */
export const MOCK_ZONES: Record<string, Array<[string, string]>> = {
    "ap-northeast-2": [
        ["ap-northeast-2a", "apne2-az1"],
        ["ap-northeast-2b", "apne2-az2"],
        ["ap-northeast-2c", "apne2-az3"],
        ["ap-northeast-2d", "apne2-az4"],
    ],
    "us-east-1": [
        ["us-east-1a", "use1-az3"],
        ["us-east-1b", "use1-az6"],
        ["us-east-1c", "use1-az1"],
        ["us-east-1d", "use1-az2"],
        ["us-east-1e", "use1-az4"],
        ["us-east-1f", "use1-az5"],
    ],
    "us-west-1": [
        ["us-west-1a", "usw1-az2"],
        ["us-west-1b", "usw1-az1"],
    ],
};

/** aws.getAvailabilityZones for the configured region (aws:region), honouring its exclusions. */
function availabilityZones(inputs: Record<string, any>) {
    const region = inputs.region ?? pulumi.runtime.allConfig()["aws:region"] ?? MOCK_REGION;
    const zones = MOCK_ZONES[region];
    if (!zones) throw new Error(`no mock Availability Zones for ${region}: add them to MOCK_ZONES`);
    const kept = zones.filter(
        ([name, zoneId]) =>
            !(inputs.excludeNames ?? []).includes(name) && !(inputs.excludeZoneIds ?? []).includes(zoneId),
    );
    return {
        id: region,
        names: kept.map(([name]) => name),
        zoneIds: kept.map(([, zoneId]) => zoneId),
        groupNames: [region],
    };
}

/** Fills in what AWS would compute (names, ARNs, endpoints): mocked resources have no auto-names. */
/** The region of the aws provider a resource was given (its `region` input), else the stack's. */
export function providerRegion(provider: string | undefined): string {
    const id = provider?.split("::").pop();
    const found = recorded.find((r) => r.type === "pulumi:providers:aws" && `${r.name}-id` === id);
    return found?.inputs.region ?? MOCK_REGION;
}

function computedState(
    type: string,
    name: string,
    inputs: Record<string, any>,
    region = MOCK_REGION,
): Record<string, any> {
    const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${MOCK_ACCOUNT}:${resource}`;
    switch (type) {
        case "aws:s3/bucket:Bucket": {
            const bucket = inputs.bucket ?? `${name}-0a1b2c3`;
            return {
                bucket,
                arn: `arn:aws:s3:::${bucket}`,
                bucketRegionalDomainName: `${bucket}.s3.${MOCK_REGION}.amazonaws.com`,
            };
        }
        case "aws:cloudfront/distribution:Distribution":
            return {
                arn: `arn:aws:cloudfront::${MOCK_ACCOUNT}:distribution/E${name.toUpperCase().replace(/\W/g, "")}`,
                domainName: `d${name.replace(/\W/g, "")}.cloudfront.net`,
            };
        case "aws:kms/key:Key": {
            // A key id per resource name (two keys must never share an ARN, or a policy naming one names both).
            const keyId = `0000abcd-0000-4000-8000-${createHash("sha256").update(name).digest("hex").slice(0, 12)}`;
            return { keyId, arn: arn("kms", `key/${keyId}`) };
        }
        case "aws:iam/role:Role":
            return { name: inputs.name ?? `${name}-role`, arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${name}` };
        case "aws:lambda/function:Function":
            return {
                name: inputs.name ?? name,
                arn: arn("lambda", `function:${name}`),
                invokeArn: `arn:aws:apigateway:${MOCK_REGION}:lambda:path/2015-03-31/functions/${arn("lambda", `function:${name}`)}/invocations`,
            };
        case "aws:lambda/functionUrl:FunctionUrl":
            return { functionUrl: `https://${name.replace(/\W/g, "")}.lambda-url.${MOCK_REGION}.on.aws/` };
        case "aws:apigatewayv2/api:Api":
            return {
                apiEndpoint: `https://${name.replace(/\W/g, "")}.execute-api.${MOCK_REGION}.amazonaws.com`,
                executionArn: arn("execute-api", name),
            };
        // awsx v3 components are remote: under mocks one resource each, no children; these are their outputs.
        case "awsx:ec2:Vpc":
            return {
                vpcId: `vpc-${name}`,
                privateSubnetIds: [`subnet-${name}-private-a`, `subnet-${name}-private-b`],
                publicSubnetIds: [`subnet-${name}-public-a`, `subnet-${name}-public-b`],
                isolatedSubnetIds: [],
                routeTables: [{ id: `rtb-${name}-private-a` }, { id: `rtb-${name}-private-b` }],
            };
        case "awsx:lb:ApplicationLoadBalancer":
            return {
                loadBalancer: {
                    arn: arn("elasticloadbalancing", `loadbalancer/app/${name}/0123456789abcdef`),
                    arnSuffix: `app/${name}/0123456789abcdef`,
                    dnsName: `internal-${name}-1234567890.${MOCK_REGION}.elb.amazonaws.com`,
                },
                defaultTargetGroup: {
                    arn: arn("elasticloadbalancing", `targetgroup/${name}/0123456789abcdef`),
                    arnSuffix: `targetgroup/${name}/0123456789abcdef`,
                },
            };
        case "awsx:ecr:Repository":
            return {
                url: `${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com/${name}`,
                repository: { arn: arn("ecr", `repository/${name}`) },
            };
        case "awsx:ecr:Image":
            return {
                imageUri: `${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com/${name}@sha256:${"0".repeat(64)}`,
            };
        case "awsx:ecs:FargateService":
            return { service: { name: `${name}-svc`, arn: arn("ecs", `service/${name}`) } };
        case "aws:ecs/cluster:Cluster":
            return { name: inputs.name ?? name, arn: arn("ecs", `cluster/${name}`) };
        case "aws:sqs/queue:Queue":
            return {
                name: inputs.name ?? name,
                arn: arn("sqs", inputs.name ?? name),
                url: `https://sqs.${MOCK_REGION}.amazonaws.com/${MOCK_ACCOUNT}/${inputs.name ?? name}`,
            };
        case "aws:sns/topic:Topic":
            return { name: inputs.name ?? name, arn: arn("sns", inputs.name ?? name) };
        case "aws:secretsmanager/secret:Secret":
            // Secrets Manager appends six random characters to a secret's name in its ARN.
            return { arn: arn("secretsmanager", `secret:${name}-AbCdEf`) };
        // The tls provider makes the key pair on the deploying machine; under the mocks, a real one (made once).
        case "tls:index/privateKey:PrivateKey":
            return mockKeyPair();

        default:
            return { arn: arn("mock", `${type}/${name}`) };
    }
}

let keyPair: { privateKeyPem: string; publicKeyPem: string } | undefined;
/** An RSA key pair as tls.PrivateKey's outputs name it (PEM), the same for every run of the process. */
export function mockKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
    keyPair ??= (() => {
        const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
        return {
            privateKeyPem: pair.privateKey.export({ type: "pkcs1", format: "pem" }) as string,
            publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }) as string,
        };
    })();
    return keyPair;
}

/** The JSON AWS builds from aws.iam.getPolicyDocument's statements, so specs can parse real policies. */
export function policyDocumentJson(inputs: Record<string, any>): string {
    const list = (values: unknown) => (Array.isArray(values) && values.length === 1 ? values[0] : values);
    const statements = (inputs.statements ?? []).map((statement: any) => {
        const out: Record<string, unknown> = { Effect: statement.effect ?? "Allow" };
        if (statement.sid) out.Sid = statement.sid;
        if (statement.principals) {
            out.Principal = Object.fromEntries(
                statement.principals.map((p: any) => [p.type === "*" ? "*" : p.type, list(p.identifiers)]),
            );
            if (statement.principals.length === 1 && statement.principals[0].type === "*") out.Principal = "*";
        }
        if (statement.actions) out.Action = list(statement.actions);
        if (statement.notActions) out.NotAction = list(statement.notActions);
        if (statement.resources) out.Resource = list(statement.resources);
        if (statement.conditions) {
            const condition: Record<string, Record<string, unknown>> = {};
            for (const c of statement.conditions)
                condition[c.test] = { ...condition[c.test], [c.variable]: list(c.values) };
            out.Condition = condition;
        }
        return out;
    });
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export const MOCK_PROJECT = "image-pipeline";

/** A managed prefix list's id as the mocks answer it (the real ids differ per region). */
export function mockPrefixListId(name: string): string {
    return `pl-${Buffer.from(name).toString("hex").slice(0, 16)}`;
}

/** The mocks every spec shares; re-installable under another project name (see useMockProject). */
export const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
        const state = {
            ...args.inputs,
            ...computedState(args.type, args.name, args.inputs, providerRegion(args.provider)),
        };
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs, state, provider: args.provider });
        // An S3 bucket's id is its name, as in AWS; other ids only need to be unique.
        return { id: args.type === "aws:s3/bucket:Bucket" ? state.bucket : `${args.name}-id`, state };
    },
    call(args) {
        invocations.push({ token: args.token, inputs: args.inputs });
        if (args.token === "aws:index/getAvailabilityZones:getAvailabilityZones") return availabilityZones(args.inputs);
        if (args.token === "aws:iam/getPolicyDocument:getPolicyDocument") {
            return { json: policyDocumentJson(args.inputs), id: "policy" };
        }
        if (args.token === "aws:index/getRegion:getRegion") return { region: MOCK_REGION, name: MOCK_REGION };
        if (args.token === "aws:ec2/getManagedPrefixList:getManagedPrefixList") {
            // The CloudFront origin-facing list's id is region-specific; any pl- id stands in for it.
            return {
                id: mockPrefixListId(String(args.inputs.name)),
                name: args.inputs.name,
            };
        }
        throw new Error(`Unmocked invoke ${args.token}: mock it in tests/support/pulumiMocks.ts`);
    },
};

/**
 * Resource name → names of the resources it was registered as depending on (explicit dependsOn and the
 * resources behind its input Outputs), as the engine would receive them. Mocks.newResource is not told these,
 * so the mock monitor's registerResource is wrapped to read them off the request.
 */
export const dependenciesOf = new Map<string, string[]>();
/** Resource name → the names of its top-level inputs the program sent as Pulumi secrets (kept encrypted in the
 *  state); Mocks.newResource gets them unwrapped, so they are read off the request. */
export const secretInputsOf = new Map<string, string[]>();
/** The marker of a secret in the engine's wire format. */
const { specialSigKey, specialSecretSig } = require("@pulumi/pulumi/runtime/rpc");

/** A callback the program registered with the engine (e.g. a transform): where it is served and its token. */
export interface RegisteredCallback {
    target: string;
    token: string;
}
/** Resource name → the transforms registered with it (resource option `transforms`), which the mocks never run. */
export const transformsOf = new Map<string, RegisteredCallback[]>();

/** Mock URN → the engine's qualified type, for the children that name it as parent. */
const qualifiedTypes = new Map<string, string>();

function recordUrn(request: any): void {
    const parent: string = request.getParent();
    const type: string = request.getType();
    const name: string = request.getName();
    const parentType = parent ? (qualifiedTypes.get(parent) ?? parent.split("::")[2]) : undefined;
    const qualified = parentType ? `${parentType}$${type}` : type;
    // The URN the mock monitor answers (runtime/mocks.js newUrn): the key its children's requests name it by.
    const mockType = parent ? `${parent.split("::")[2].split("$").pop()}$${type}` : type;
    const prefix = `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::`;
    qualifiedTypes.set(`${prefix}${mockType}::${name}`, qualified);
    registeredUrns.push(`${prefix}${qualified}::${name}`);
}

function recordDependencies(): void {
    const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (request: any, callback: unknown) => {
        recordUrn(request);
        const names = (request.getDependenciesList() as string[]).map((urn) => urn.slice(urn.lastIndexOf("::") + 2));
        dependenciesOf.set(request.getName(), names);
        const inputs: Record<string, unknown> = request.getObject()?.toJavaScript() ?? {};
        secretInputsOf.set(
            request.getName(),
            Object.entries(inputs)
                .filter(([, value]) => (value as Record<string, unknown>)?.[specialSigKey] === specialSecretSig)
                .map(([name]) => name),
        );
        transformsOf.set(
            request.getName(),
            request.getTransformsList().map((transform: any) => ({
                target: transform.getTarget(),
                token: transform.getToken(),
            })),
        );
        return register(request, callback);
    };
}

/** Runs the engine's mocks as project `project` (what pulumi.getProject() returns), e.g. a renamed project. */
export function useMockProject(project: string): void {
    pulumi.runtime.setMocks(mocks, project, "dev", false);
    // setMocks declares transforms unsupported, so a resource with `transforms` would fail to register. The engine
    // runs them, not the program; under the mocks nothing runs them, and specs call them (pulumiTransforms.ts).
    require("@pulumi/pulumi/runtime/state").getStore().supportsTransforms = true;
    recordDependencies();
}
useMockProject(MOCK_PROJECT);
