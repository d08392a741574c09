import { expect } from "chai";
import { CapturedStdout, captureStdout } from "../support/stdoutLines";
import { createHmac, randomBytes } from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { builtinModules } from "module";
import { parsePolicy, ProgramRun, runProgram } from "../support/program";
import { archiveFiles, loadClosure, withEnv } from "../support/lambdaArchive";
import { zippedSize } from "../../infra/builders/archiveSize";
import { httpEvent } from "../support/events";
import { pngBytes } from "../support/images";
import { startTestS3, TEST_BUCKET, TestS3 } from "../support/localS3";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/s3/localS3";
import { RecordedResource } from "../support/pulumiMocks";

const FUNCTION = "aws:lambda/function:Function";
const ROUTE = "aws:apigatewayv2/route:Route";
const UPLOAD_ROUTE_KEYS = ["POST /uploads", "POST /uploads/form", "GET /uploads"];
/** Uppy's S3 plugin calls these with companionEndpoint (functions/presign/companionRoutes.ts). */
const UPPY_ROUTE_KEYS = [
    "GET /s3/params",
    "POST /s3/multipart",
    "GET /s3/multipart/{uploadId}",
    "DELETE /s3/multipart/{uploadId}",
    "GET /s3/multipart/{uploadId}/{partNumber}",
    "POST /s3/multipart/{uploadId}/complete",
];

describe("PresignApi under mocks (infra/upload/presignApi.ts)", () => {
    let run: ProgramRun;
    let presign: RecordedResource;
    before(async () => {
        run = await runProgram();
        presign = run.ofType(FUNCTION).find((f) => f.name === "uploads-handler")!;
        expect(presign, "the presign function").to.not.equal(undefined);
    });

    it("exports the upload API's URL", () => {
        expect(run.outputs.uploadApiUrl).to.equal(run.one("aws:apigatewayv2/api:Api").state.apiEndpoint);
    });

    it("pins runtime, architecture, memory and timeout", () => {
        expect(presign.inputs.runtime).to.equal("nodejs22.x");
        expect(presign.inputs.architectures).to.deep.equal(["arm64"]);
        expect(presign.inputs.memorySize).to.be.a("number").within(128, 1024);
        expect(presign.inputs.timeout).to.be.a("number").within(1, 30);
        expect(presign.inputs.handler).to.equal("index.handler");
    });

    it("carries bucket, key prefix, limits and the CDN URL in its environment", async () => {
        const variables = presign.inputs.environment.variables;
        expect(variables).to.deep.include({
            BUCKET_NAME: run.outputs.bucketName,
            ALLOWED_CONTENT_TYPES: "image/jpeg,image/png,image/webp,image/gif,image/avif",
            MAX_UPLOAD_BYTES: String(10 * 1024 * 1024),
            UPLOAD_EXPIRES_IN: "300",
            CDN_URL: run.outputs.cdnUrl,
            REQUIRE_AUTH: "false",
            REQUIRE_UPLOAD_SIZE: "false",
        });
        const limited = await runProgram({
            "image-pipeline:maxUploadBytes": "1000",
            "image-pipeline:uploadExpiresIn": "60",
            "image-pipeline:requireUploadSize": "true",
        });
        const limitedVars = limited.ofType(FUNCTION).find((f) => f.name === "uploads-handler")!.inputs
            .environment.variables;
        expect(limitedVars).to.include({
            MAX_UPLOAD_BYTES: "1000",
            UPLOAD_EXPIRES_IN: "60",
            REQUIRE_UPLOAD_SIZE: "true",
        });
    });

    it("runs under a role whose only S3 permissions are PutObject on incoming/ and reading status/", () => {
        const role = run.ofType("aws:iam/role:Role").find((r) => presign.inputs.role === r.state.arn)!;
        expect(role, "the function's role").to.not.equal(undefined);
        const assume = parsePolicy(role.inputs.assumeRolePolicy).Statement;
        expect(assume).to.deep.equal([
            { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ]);
        const policies = run.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === `${role.name}-id`);
        expect(policies).to.have.length(1);
        const statements = parsePolicy(policies[0].inputs.policy).Statement;
        const s3Statements = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith("s3:")));
        const bucketArn = run.outputs.bucketName ? `arn:aws:s3:::${run.outputs.bucketName}` : "";
        expect(s3Statements).to.deep.equal([
            {
                Sid: "PutStagedUploadsOnly",
                Effect: "Allow",
                Action: "s3:PutObject",
                Resource: `${bucketArn}/incoming/*`,
            },
            {
                Sid: "ManageStagedMultipartUploads",
                Effect: "Allow",
                Action: ["s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
                Resource: `${bucketArn}/incoming/*`,
            },
            { Sid: "ReadUploadStatus", Effect: "Allow", Action: "s3:GetObject", Resource: `${bucketArn}/status/*` },
            {
                Sid: "ListStatusPrefix",
                Effect: "Allow",
                Action: "s3:ListBucket",
                Resource: bucketArn,
                Condition: { StringLike: { "s3:prefix": "status/*" } },
            },
        ]);
        const logs = statements.find((s) => s.Sid === "WriteOwnLogs");
        expect(logs.Action).to.have.members(["logs:CreateLogStream", "logs:PutLogEvents"]);
        expect(logs.Resource).to.match(/^arn:aws:mock:.*LogGroup\/uploads-handler-logs:\*$/);
        expect(statements).to.have.length(5);
    });

    it("attaches no managed policy to any role", () => {
        expect(run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.have.length(0);
        expect(run.ofType("aws:iam/policyAttachment:PolicyAttachment")).to.have.length(0);
    });

    it("proxies an HTTP API to the function with payload 2.0 on an auto-deployed $default stage", () => {
        const integration = run
            .ofType("aws:apigatewayv2/integration:Integration")
            .find((i) => i.name === "uploads-integration")!.inputs;
        expect(integration).to.include({
            integrationType: "AWS_PROXY",
            payloadFormatVersion: "2.0",
            integrationUri: presign.state.arn,
        });
        const stage = run.one("aws:apigatewayv2/stage:Stage").inputs;
        expect(stage).to.include({ name: "$default", autoDeploy: true });
        const permission = run
            .ofType("aws:lambda/permission:Permission")
            .find(
                (p) => p.inputs.principal === "apigateway.amazonaws.com" && p.inputs.function === presign.state.name,
            )!;
        expect(permission.inputs.sourceArn).to.equal(`${run.one("aws:apigatewayv2/api:Api").state.executionArn}/*/*`);
    });

    it("answers CORS exactly for the configured origins, with the headers uploads need", async () => {
        const cors = run.one("aws:apigatewayv2/api:Api").inputs.corsConfiguration;
        expect(cors.allowOrigins).to.deep.equal(["http://localhost:3000"]);
        expect(cors.allowHeaders).to.have.members(["content-type", "authorization", "x-extension", "x-content-length"]);
        // DELETE: Uppy aborts a multipart upload with DELETE /s3/multipart/<uploadId>.
        expect(cors.allowMethods).to.include.members(["GET", "POST", "DELETE"]);
        const custom = await runProgram({ "image-pipeline:corsOrigins": '["https://app.example.com"]' });
        expect(custom.one("aws:apigatewayv2/api:Api").inputs.corsConfiguration.allowOrigins).to.deep.equal([
            "https://app.example.com",
        ]);
    });

    it("has no authorizer unless one is configured, and then no upload grants (no grant routes, no grant key)", () => {
        expect(run.ofType("aws:apigatewayv2/authorizer:Authorizer")).to.have.length(0);
        const routes = run.ofType(ROUTE);
        expect(routes.map((r) => r.inputs.routeKey)).to.include.members([
            ...UPLOAD_ROUTE_KEYS,
            ...UPPY_ROUTE_KEYS,
            "$default",
        ]);
        for (const route of routes) expect(route.inputs.authorizerId).to.equal(undefined);
        expect(routes.filter((r) => r.inputs.routeKey.includes("/g/"))).to.deep.equal([]);
        expect(
            run.ofType("aws:kms/key:Key").filter((key) => key.inputs.keyUsage === "GENERATE_VERIFY_MAC"),
        ).to.deep.equal([]);
        expect(presign.inputs.environment.variables).to.not.have.property("GRANT_KEY_ID");
    });

    describe("with jwtIssuer and jwtAudience", () => {
        let withAuth: ProgramRun;
        before(async () => {
            withAuth = await runProgram({
                "image-pipeline:jwtIssuer": "https://cognito-idp.ap-northeast-2.amazonaws.com/ap-northeast-2_Example",
                "image-pipeline:jwtAudience": "client-id-1",
            });
        });
        const handlerOf = (stack: ProgramRun) => stack.ofType(FUNCTION).find((f) => f.name === "uploads-handler")!;
        const grantKeyOf = (stack: ProgramRun) =>
            stack.ofType("aws:kms/key:Key").find((key) => key.name === "uploads-grant-key")!;

        it("requires a JWT on every upload route", async () => {
            const authorizer = withAuth.one("aws:apigatewayv2/authorizer:Authorizer");
            expect(authorizer.inputs).to.deep.include({
                authorizerType: "JWT",
                identitySources: ["$request.header.Authorization"],
                jwtConfiguration: {
                    issuer: "https://cognito-idp.ap-northeast-2.amazonaws.com/ap-northeast-2_Example",
                    audiences: ["client-id-1"],
                },
            });
            const routes = withAuth.ofType(ROUTE);
            for (const key of [...UPLOAD_ROUTE_KEYS, ...UPPY_ROUTE_KEYS]) {
                const route = routes.find((r) => r.inputs.routeKey === key)!;
                expect(route.inputs, key).to.include({
                    authorizationType: "JWT",
                    authorizerId: `${authorizer.name}-id`,
                });
            }
            const handler = withAuth.ofType(FUNCTION).find((f) => f.name === "uploads-handler")!;
            expect(handler.inputs.environment.variables.REQUIRE_AUTH).to.equal("true");
            const grant = routes.find((r) => r.inputs.routeKey === "POST /uploads/grant")!;
            expect(grant.inputs).to.include({ authorizationType: "JWT", authorizerId: `${authorizer.name}-id` });
        });

        it("Uppy's routes under an upload grant (/g/{grant}/s3/...) carry no authorizer: Uppy 6 sends no Authorization header", () => {
            const underGrant = withAuth.ofType(ROUTE).filter((r) => r.inputs.routeKey.includes(" /g/{grant}/"));
            expect(underGrant.map((r) => r.inputs.routeKey)).to.have.members(
                UPPY_ROUTE_KEYS.map((key) => key.replace(" /s3", " /g/{grant}/s3")),
            );
            for (const route of underGrant) {
                expect(route.inputs.authorizationType, route.inputs.routeKey).to.equal("NONE");
                expect(route.inputs.authorizerId, route.inputs.routeKey).to.equal(undefined);
            }
        });

        it("makes an HMAC KMS key for the grants; the function gets its ARN, and may only derive from it (GenerateMac, HMAC_SHA_256)", () => {
            const key = grantKeyOf(withAuth);
            expect(key.inputs).to.include({ customerMasterKeySpec: "HMAC_256", keyUsage: "GENERATE_VERIFY_MAC" });
            expect(handlerOf(withAuth).inputs.environment.variables.GRANT_KEY_ID).to.equal(key.state.arn);
            const role = withAuth
                .ofType("aws:iam/role:Role")
                .find((r) => handlerOf(withAuth).inputs.role === r.state.arn)!;
            const policy = withAuth
                .ofType("aws:iam/rolePolicy:RolePolicy")
                .find((p) => p.inputs.role === `${role.name}-id`)!;
            const kms = parsePolicy(policy.inputs.policy).Statement.filter((s: { Action: string | string[] }) =>
                [s.Action].flat().some((action) => action.startsWith("kms:")),
            );
            expect(kms).to.deep.equal([
                {
                    Sid: "DeriveUploadGrantKey",
                    Effect: "Allow",
                    Action: "kms:GenerateMac",
                    Resource: key.state.arn,
                    Condition: { StringEquals: { "kms:MacAlgorithm": "HMAC_SHA_256" } },
                },
            ]);
        });

        it("the serialized closure derives the grant key from KMS (one GenerateMac, SigV4-signed) and its grants work", async () => {
            const calls: { target?: string; authorization?: string; body: Record<string, string> }[] = [];
            const kmsKey = randomBytes(32);
            const kms = http.createServer((req, res) => {
                const chunks: Buffer[] = [];
                req.on("data", (chunk: Buffer) => chunks.push(chunk));
                req.on("end", () => {
                    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
                    calls.push({
                        target: req.headers["x-amz-target"] as string,
                        authorization: req.headers.authorization,
                        body,
                    });
                    const mac = createHmac("sha256", kmsKey).update(Buffer.from(body.Message, "base64")).digest();
                    res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
                    res.end(
                        JSON.stringify({
                            KeyId: body.KeyId,
                            MacAlgorithm: body.MacAlgorithm,
                            Mac: mac.toString("base64"),
                        }),
                    );
                });
            });
            await new Promise<void>((resolve) => kms.listen(0, "127.0.0.1", resolve));
            const s3 = await startTestS3();
            const variables = handlerOf(withAuth).inputs.environment.variables;
            const restoreEnv = withEnv({
                ...variables,
                BUCKET_NAME: TEST_BUCKET,
                S3_ENDPOINT: s3.server.url,
                AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${(kms.address() as AddressInfo).port}`,
                AWS_REGION: LOCAL_REGION,
                AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
                AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
            });
            const stdout = captureStdout();
            try {
                const { handler } = loadClosure((await archiveFiles(handlerOf(withAuth))).get("index.js")!);
                const event = (method: string, path: string, options: Parameters<typeof httpEvent>[2] = {}) => ({
                    ...httpEvent(method, path, options),
                    stageVariables: { apiUrl: "https://api.example" },
                });
                const granted = await handler(event("POST", "/uploads/grant", { claims: { sub: "alice" } }));
                expect(granted.statusCode, granted.body).to.equal(200);
                const grantPath = new URL(JSON.parse(granted.body).companionEndpoint).pathname;
                for (let i = 0; i < 2; i++) {
                    const created = await handler(
                        event("POST", `${grantPath}/s3/multipart`, {
                            body: { type: "image/png", metadata: { size: 10 } },
                        }),
                    );
                    expect(created.statusCode, created.body).to.equal(200);
                    expect(JSON.parse(created.body).key).to.match(/^incoming\/alice\/[0-9a-f-]{36}\.png$/);
                }
                expect(calls).to.have.length(1);
                expect(calls[0].target).to.equal("TrentService.GenerateMac");
                expect(calls[0].authorization).to.match(/^AWS4-HMAC-SHA256 Credential=[^,]+\/kms\/aws4_request/);
                expect(calls[0].body).to.include({ KeyId: variables.GRANT_KEY_ID, MacAlgorithm: "HMAC_SHA_256" });
                // A grant is a credential: each request's line names its route without it.
                const lines = stdout.lines();
                expect(lines).to.have.length(3);
                for (const line of lines) expect(line).to.not.include(grantPath.split("/").at(-1)!);
            } finally {
                stdout.restore();
                restoreEnv();
                await s3.close();
                kms.close();
            }
        });
    });

    it("ships one small bundle with only what the handler needs", async () => {
        const files = await archiveFiles(presign);
        expect([...files.keys()]).to.have.members(["index.js", "bundle-manifest.json"]);
        const size = zippedSize(files);
        console.log(
            `      presign archive: ${(size / 1024).toFixed(0)} KiB zipped (${(files.get("index.js")!.length / 1024).toFixed(0)} KiB unzipped)`,
        );
        expect(size).to.be.below(512 * 1024);
        const manifest = JSON.parse(files.get("bundle-manifest.json")!);
        expect(manifest.packages).to.include.members([
            "@aws-sdk/client-s3",
            "@aws-sdk/s3-request-presigner",
            "@aws-sdk/s3-presigned-post",
            "@aws-lambda-powertools/logger", // the JSON log lines (functions/shared/structuredLog.ts)
        ]);
        for (const name of manifest.packages) {
            expect(name, "only the AWS SDK and its runtime helpers").to.match(
                /^(@aws-sdk\/|@smithy\/|@aws-crypto\/|@aws\/|@aws-lambda-powertools\/(logger|commons)$|tslib$|fast-xml-parser$|strnum$|bowser$|uuid$)/,
            );
        }
        expect(files.get("index.js")).to.include("createPresignHandler");
    });

    describe("the serialized closure, run as Lambda would run it", () => {
        let s3: TestS3;
        let restoreEnv: () => void;
        let handler: (event: unknown) => Promise<any>;
        let required: Set<string>;
        let stdout: CapturedStdout;
        beforeEach(() => {
            stdout = captureStdout();
        });
        afterEach(() => {
            stdout.restore();
        });
        before(async () => {
            s3 = await startTestS3();
            const variables = presign.inputs.environment.variables;
            restoreEnv = withEnv({
                ...variables,
                BUCKET_NAME: TEST_BUCKET,
                S3_ENDPOINT: s3.server.url,
                AWS_REGION: LOCAL_REGION,
                AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
                AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
            });
            ({ handler, required } = loadClosure((await archiveFiles(presign)).get("index.js")!));
        });
        after(async () => {
            restoreEnv();
            await s3.close();
        });

        it("signs a PUT that uploads, from the archive's text alone (Node built-ins only)", async () => {
            const result = await handler(httpEvent("POST", "/uploads", { body: { contentType: "image/png" } }));
            expect(result.statusCode, result.body).to.equal(200);
            const { key, uploadUrl, headers, url } = JSON.parse(result.body);
            expect(url).to.equal(`${presign.inputs.environment.variables.CDN_URL}/${key}`);
            const png = await pngBytes();
            const put = await fetch(uploadUrl, { method: "PUT", headers, body: png });
            expect(put.status, await put.clone().text()).to.equal(200);
            // Signed into the staging prefix; the answer names where the checked original will be.
            expect(key).to.match(/^uploads\//);
            expect((await s3.head(key.replace(/^uploads\//, "incoming/")))?.ContentType).to.equal("image/png");
            const packagesRequired = [...required].filter((id) => !builtinModules.includes(id.replace(/^node:/, "")));
            expect(packagesRequired).to.deep.equal([]);
            const [line] = stdout.lines().map((text) => JSON.parse(text));
            expect(line).to.include({ service: "presign", status: 200, key, path: "/uploads", outcome: "ok" });
            expect(line.ms).to.be.a("number");
        });

        it("signs a size-capped POST that uploads", async () => {
            const result = await handler(httpEvent("POST", "/uploads/form", { body: { extension: "png" } }));
            expect(result.statusCode, result.body).to.equal(200);
            const { key, uploadUrl, fields } = JSON.parse(result.body);
            const form = new FormData();
            for (const [name, value] of Object.entries(fields as Record<string, string>)) form.append(name, value);
            form.append("file", new Blob([new Uint8Array(await pngBytes())]), "a.png");
            const post = await fetch(uploadUrl, { method: "POST", body: form });
            expect(post.status, await post.clone().text()).to.equal(201);
            expect((await s3.head(key.replace(/^uploads\//, "incoming/")))?.ContentType).to.equal("image/png");
        });

        it("answers bad input with the same JSON errors", async () => {
            const result = await handler(httpEvent("POST", "/uploads", { body: { contentType: "text/html" } }));
            expect(result.statusCode).to.equal(400);
            expect(JSON.parse(result.body)).to.deep.equal({
                error: { code: "unknown_type", message: 'Unknown image content type "text/html"' },
            });
        });
    });
});
