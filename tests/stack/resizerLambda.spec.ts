import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parsePolicy, ProgramRun, runProgram } from "../support/program";
import { RecordedResource } from "../support/pulumiMocks";
import { decodeResizeSettings } from "../../functions/resize/settings";
import { parseVariantKey } from "../../functions/resize/variantKey";

const FUNCTION = "aws:lambda/function:Function";
const PERMISSION = "aws:lambda/permission:Permission";
const resizerOf = (run: ProgramRun) => run.ofType(FUNCTION).find((f) => f.name === "resizer-handler")!;

/** Directory listing of the node_modules FileArchive inside the Resizer's code archive. */
async function archivedPackages(
    resizer: RecordedResource,
): Promise<{ dir: string; packages: string[]; files: Record<string, string> }> {
    const assets = await resizer.inputs.code.assets;
    expect(Object.keys(assets)).to.have.members(["index.js", "ingest.js", "node_modules"]);
    const dir: string = await assets.node_modules.path;
    const packages = fs
        .readdirSync(dir)
        .flatMap((name) =>
            name.startsWith("@") ? fs.readdirSync(path.join(dir, name)).map((inner) => `${name}/${inner}`) : [name],
        );
    return { dir, packages, files: { "index.js": await assets["index.js"].text } };
}

describe("Resizer under mocks (infra/resize/resizer.ts and the CDN failover)", () => {
    let run: ProgramRun;
    let resizer: RecordedResource;
    let distribution: Record<string, any>;
    before(async () => {
        run = await runProgram();
        resizer = resizerOf(run);
        distribution = run.one("aws:cloudfront/distribution:Distribution").inputs;
    });

    it("fails over from the bucket to the Resizer's Function URL on 403 and 404 for variants", () => {
        const url = run.one("aws:lambda/functionUrl:FunctionUrl").state.functionUrl;
        const resizerOrigin = distribution.origins.find((o: any) => o.domainName === new URL(url).host);
        const bucketOrigin = distribution.origins.find((o: any) => o.domainName.includes(".s3."));
        expect(resizerOrigin.customOriginConfig).to.include({ originProtocolPolicy: "https-only" });
        const [group] = distribution.originGroups;
        expect(group.failoverCriteria.statusCodes).to.have.members([403, 404]);
        expect(group.members.map((m: any) => m.originId)).to.deep.equal([
            bucketOrigin.originId,
            resizerOrigin.originId,
        ]);
        expect(distribution.defaultCacheBehavior.targetOriginId, "only variant paths fail over").to.equal(
            bucketOrigin.originId,
        );
        expect(
            distribution.orderedCacheBehaviors.find((b: any) => b.pathPattern === "300x300/*uploads/*").targetOriginId,
        ).to.equal(group.originId);
        const originals = distribution.orderedCacheBehaviors.find((b: any) => b.pathPattern === "uploads/*");
        expect(originals.targetOriginId, "originals never fail over").to.equal(bucketOrigin.originId);
        expect(originals.viewerProtocolPolicy).to.equal("redirect-to-https");
    });

    it("signs requests to the Function URL with a Lambda Origin Access Control; the URL requires AWS_IAM", () => {
        const oac = run
            .ofType("aws:cloudfront/originAccessControl:OriginAccessControl")
            .find((o) => o.inputs.originAccessControlOriginType === "lambda")!;
        expect(oac.inputs).to.include({ signingBehavior: "always", signingProtocol: "sigv4" });
        const url = run.one("aws:lambda/functionUrl:FunctionUrl");
        const resizerOrigin = distribution.origins.find(
            (o: any) => o.domainName === new URL(url.state.functionUrl).host,
        );
        expect(resizerOrigin.originAccessControlId).to.equal(`${oac.name}-id`);
        expect(url.inputs).to.include({ authorizationType: "AWS_IAM", functionName: resizer.state.name });
    });

    it("lets only this distribution invoke it, with both InvokeFunctionUrl and InvokeFunction", () => {
        const distributionArn = run.one("aws:cloudfront/distribution:Distribution").state.arn;
        const fromCloudFront = run.ofType(PERMISSION).filter((p) => p.inputs.principal === "cloudfront.amazonaws.com");
        expect(fromCloudFront.map((p) => p.inputs.action)).to.have.members([
            "lambda:InvokeFunctionUrl",
            "lambda:InvokeFunction",
        ]);
        for (const permission of fromCloudFront) {
            expect(permission.inputs.sourceArn).to.equal(distributionArn);
            expect(permission.inputs.function).to.equal(resizer.state.name);
        }
        expect(
            fromCloudFront.find((p) => p.inputs.action === "lambda:InvokeFunctionUrl")!.inputs.functionUrlAuthType,
        ).to.equal("AWS_IAM");
        expect(
            fromCloudFront.find((p) => p.inputs.action === "lambda:InvokeFunction")!.inputs.invokedViaFunctionUrl,
        ).to.equal(true);
    });

    it("reads originals and variants, writes variants only, never originals", () => {
        const bucketArn = `arn:aws:s3:::${run.outputs.bucketName}`;
        const role = run.ofType("aws:iam/role:Role").find((r) => r.state.arn === resizer.inputs.role)!;
        const [policy] = run.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === `${role.name}-id`);
        const statements = parsePolicy(policy.inputs.policy).Statement;
        const s3 = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith("s3:")));
        expect(s3).to.deep.equal([
            {
                Sid: "ReadOriginalsAndVariants",
                Effect: "Allow",
                Action: "s3:GetObject",
                Resource: [`${bucketArn}/uploads/*`, `${bucketArn}/*x*/uploads/*`],
            },
            { Sid: "WriteVariants", Effect: "Allow", Action: "s3:PutObject", Resource: `${bucketArn}/*x*/uploads/*` },
            { Sid: "NeverWriteOriginals", Effect: "Deny", Action: "s3:PutObject", Resource: `${bucketArn}/uploads/*` },
            {
                Sid: "ListOriginalAndVariantPrefixes",
                Effect: "Allow",
                Action: "s3:ListBucket",
                Resource: bucketArn,
                Condition: { StringLike: { "s3:prefix": ["uploads/*", "*x*/uploads/*"] } },
            }, // evaluated in tests/stack/iam.spec.ts
        ]);
        expect(statements.filter((s) => s.Sid === "WriteOwnLogs")).to.have.length(1);
        expect(statements).to.have.length(5);
    });

    it("pins runtime, arm64 by default, 1536 MB and 30 s, and passes the config in its environment", () => {
        expect(resizer.inputs).to.include({
            runtime: "nodejs22.x",
            memorySize: 1536,
            timeout: 30,
            handler: "index.handler",
        });
        expect(resizer.inputs.architectures).to.deep.equal(["arm64"]);
        expect(resizer.inputs.reservedConcurrentExecutions, "runaway-bill guard on by default").to.equal(10);
        expect(resizer.inputs.environment.variables).to.deep.equal({
            BUCKET_NAME: run.outputs.bucketName,
            UPLOAD_PREFIX: "uploads/",
            ALLOWED_RESOLUTIONS: "300x300,640x480,1280x720",
            MAX_RESIZE_DIMENSION: "2048",
            RESIZE_FIT: "cover",
            RESIZE_GRAVITY: "centre",
            RESIZE_QUALITY: "80",
            LIMIT_INPUT_PIXELS: "50000000",
            RESIZE_FORMATS: "avif,webp",
            RESIZE_THREADS: "1",
            METRICS_NAMESPACE: "image-pipeline/dev", // <project>/<stack>: where its metric lines go
        });
    });

    it("takes memory, timeout, reserved concurrency, fit, gravity and quality from config", async () => {
        const tuned = resizerOf(
            await runProgram({
                "image-pipeline:resizerMemoryMb": "2048",
                "image-pipeline:resizerTimeoutSeconds": "20",
                "image-pipeline:resizerReservedConcurrency": "5",
                "image-pipeline:resizeFit": "inside",
                "image-pipeline:resizeGravity": "entropy",
                "image-pipeline:resizeQuality": "70",
            }),
        );
        expect(tuned.inputs).to.include({ memorySize: 2048, timeout: 20, reservedConcurrentExecutions: 5 });
        expect(tuned.inputs.environment.variables).to.include({
            RESIZE_FIT: "inside",
            RESIZE_GRAVITY: "entropy",
            RESIZE_QUALITY: "70",
        });
    });

    it("packages sharp's linux-arm64 glibc binary (and no other) by default", async () => {
        const { dir, packages, files } = await archivedPackages(resizer);
        expect(packages).to.include.members(["sharp", "@img/sharp-linux-arm64", "@img/sharp-libvips-linux-arm64"]);
        expect(
            packages.filter(
                (p) =>
                    /^@img\/sharp-(libvips-)?(linux|linuxmusl|darwin|win32|wasm32)/.test(p) &&
                    !p.endsWith("linux-arm64"),
            ),
        ).to.deep.equal([]);
        const binary = JSON.parse(fs.readFileSync(path.join(dir, "@img", "sharp-linux-arm64", "package.json"), "utf8"));
        expect(binary).to.deep.include({ os: ["linux"], cpu: ["arm64"], libc: ["glibc"] });
        expect(
            fs.readdirSync(path.join(dir, "@img", "sharp-linux-arm64", "lib")).some((f) => f.endsWith(".node")),
        ).to.equal(true);
        expect(files["index.js"]).to.include('require("sharp")');
    });

    it("packages the x64 binary instead when resizerArchitecture is x86_64", async () => {
        const x86 = resizerOf(await runProgram({ "image-pipeline:resizerArchitecture": "x86_64" }));
        expect(x86.inputs.architectures).to.deep.equal(["x86_64"]);
        const { packages } = await archivedPackages(x86);
        expect(packages).to.include.members(["@img/sharp-linux-x64", "@img/sharp-libvips-linux-x64"]);
        expect(packages.filter((p) => p.includes("arm64"))).to.deep.equal([]);
    });

    it("serves GET /resize on the HTTP API, with the CDN URL as a stage variable", () => {
        const route = run.ofType("aws:apigatewayv2/route:Route").find((r) => r.inputs.routeKey === "GET /resize")!;
        const integration = run
            .ofType("aws:apigatewayv2/integration:Integration")
            .find((i) => route.inputs.target === `integrations/${i.name}-id`)!;
        expect(integration.inputs).to.include({
            integrationType: "AWS_PROXY",
            payloadFormatVersion: "2.0",
            integrationUri: resizer.state.arn,
        });
        // apiUrl: where presign's answers point each upload's status URL (GET /uploads/{id}).
        expect(run.one("aws:apigatewayv2/stage:Stage").inputs.stageVariables).to.deep.equal({
            cdnUrl: run.outputs.cdnUrl,
            apiUrl: run.outputs.uploadApiUrl,
        });
        const permission = run
            .ofType(PERMISSION)
            .find(
                (p) => p.inputs.principal === "apigateway.amazonaws.com" && p.inputs.function === resizer.state.name,
            )!;
        expect(permission.inputs.sourceArn).to.match(/\/\*\/GET\/resize$/);
    });

    it("`pulumi config set allowedResolutions 200x200` changes what the handler allows and the CDN routes to it, nothing else", async () => {
        const changed = await runProgram({ "image-pipeline:allowedResolutions": "200x200" });
        const comparable = (r: ProgramRun) =>
            r.resources.map((resource) => {
                const { code, ...inputs } = resource.inputs;
                return JSON.stringify({
                    type: resource.type,
                    name: resource.name,
                    inputs,
                    code: code ? "archive" : undefined,
                });
            });
        const before = comparable(run);
        const after = comparable(changed);
        const differing = after.filter((line) => !before.includes(line));
        // ingest-handler too: its status names each variant's key; cleanup-handler: it deletes each size's variant.
        expect(differing.map((line) => JSON.parse(line).name)).to.have.members([
            "resizer-handler",
            "ingest-handler",
            "cleanup-handler",
            "cdn-distribution",
        ]);
        const behaviours = (r: ProgramRun) =>
            r
                .one("aws:cloudfront/distribution:Distribution")
                .inputs.orderedCacheBehaviors.map((b: any) => b.pathPattern);
        expect(behaviours(changed)).to.deep.equal(["uploads/*", "200x200/*uploads/*"]);
        const withoutBehaviours = (r: ProgramRun) => ({
            ...r.one("aws:cloudfront/distribution:Distribution").inputs,
            orderedCacheBehaviors: undefined,
        });
        expect(withoutBehaviours(changed), "only the behaviours change on the distribution").to.deep.equal(
            withoutBehaviours(run),
        );
        const env = resizerOf(changed).inputs.environment.variables;
        expect(env.ALLOWED_RESOLUTIONS).to.equal("200x200");
        const settings = decodeResizeSettings(env);
        expect(parseVariantKey("200x200/uploads/a.jpg", settings).resolution).to.equal("200x200");
        expect(() => parseVariantKey("300x300/uploads/a.jpg", settings))
            .to.throw()
            .with.property("statusCode", 403);
    });
});
