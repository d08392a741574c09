import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { WatchedFunction } from "../observability/watchedPipeline";
import type { LogLevel } from "../../functions/shared/structuredLog";
import { presignHandlerFactory } from "../../functions/presign/handler";
import { encodePresignSettings, PresignSettings } from "../../functions/presign/settings";
import { CLOSURE_HANDLER, closureArchive } from "../builders/closureArchive";
import { lambdaExecution } from "../builders/lambdaRole";
import { STAGING_KEYS_PATTERN, STATUS_KEYS_PATTERN } from "../../functions/shared/bucketLayout";
import { API_CORS } from "../../functions/shared/apiCors";
import { pipelineFunction } from "../builders/pipelineFunction";
import { HTTP_API_MAX_INTEGRATION_TIMEOUT_SECONDS } from "../../config/limits";
import { GRANT_ROUTES, SIGNED_URL_ROUTE, UPLOAD_ROUTES } from "../../functions/presign/apiRoutes";
import { GRANT_KEY_MAC_ALGORITHM } from "../../functions/presign/grantKey";
import { bucketKeyStatements } from "../storage/bucketKeyGrant";

export interface PresignApiArgs {
    /** The application log level (config logLevel): Lambda filters the function's lines at it. */
    logLevel: LogLevel;
    bucketArn: pulumi.Input<string>;
    /** What the function reads from its environment (functions/presign/settings.ts encodes it); its cdnUrl
     *  also reaches /resize as a stage variable. */
    settings: pulumi.Input<PresignSettings>;
    corsOrigins: pulumi.Input<string[]>;
    corsAllowCredentials?: pulumi.Input<boolean>;
    /** The bucket's SSE-KMS key (key ARN): a presigned upload is authorised as the role that signed it. */
    kmsKeyArn?: pulumi.Input<string>;
    /** Require a JWT from this issuer (Cognito, Auth0 ...) on every upload route. */
    jwt?: { issuer: pulumi.Input<string>; audience: pulumi.Input<string[]> };
    /** Serve GET /resize?key=<W>x<H>/uploads/... (make the variant, 307 to the CDN) with the Resizer. */
    resizer?: { functionName: pulumi.Input<string>; functionArn: pulumi.Input<string> };
    /** privateDelivery: serve GET /uploads/{id}/url, the function's role reading the private key with these
     *  statements (infra/delivery/urlSigningKey.ts); its settings carry the key's ID and secret. */
    urlSigning?: { readStatements: Statement[] };
}

type Statement = aws.types.input.iam.GetPolicyDocumentStatementArgs;

const PRESIGN_MEMORY_MB = 256;
const PRESIGN_ARCHITECTURE = "arm64";

/**
 * The upload API: an HTTP API whose Lambda (a serialized closure over functions/presign/presign.ts) signs presigned
 * PUTs and POSTs. Browsers then upload straight to S3; the function can only put objects under incoming/ (the
 * ingest function checks each and moves it to uploads/).
 */
export class PresignApi extends pulumi.ComponentResource {
    public readonly apiId: pulumi.Output<string>;
    /** https://<id>.execute-api.<region>.amazonaws.com (the $default stage). */
    public readonly url: pulumi.Output<string>;
    public readonly executionArn: pulumi.Output<string>;
    public readonly functionName: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    /** What the alarms and the dashboard watch (infra/observability/). */
    public readonly watched: WatchedFunction;

    constructor(name: string, args: PresignApiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:upload:PresignApi", name, {}, opts);

        // With a JWT authorizer, upload grants (functions/presign/uploadGrant.ts) are signed with a key derived from
        // this HMAC key (functions/presign/grantKey.ts): it never leaves KMS, and only this function may use it.
        // https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html (HMAC keys have no automatic rotation).
        const grantKey =
            args.jwt &&
            new aws.kms.Key(
                `${name}-grant-key`,
                {
                    description: "Derives the key that signs upload grants (image-pipeline)",
                    customerMasterKeySpec: "HMAC_256",
                    keyUsage: "GENERATE_VERIFY_MAC",
                    deletionWindowInDays: 30,
                },
                { parent: this },
            );

        const { role, logGroup } = lambdaExecution(
            `${name}-handler`,
            [
                {
                    // Uploads are signed into the staging prefix only: the ingest function checks each before it
                    // reaches uploads/, so this role can never place an unchecked original where the CDN reads.
                    sid: "PutStagedUploadsOnly",
                    effect: "Allow",
                    actions: ["s3:PutObject"],
                    resources: [pulumi.interpolate`${args.bucketArn}/${STAGING_KEYS_PATTERN}`],
                },
                {
                    // Multipart uploads (the /s3 routes): s3:PutObject already covers Create, UploadPart and Complete;
                    // listing an upload's parts (resume, the real total) and aborting one need these, on staging only
                    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions).
                    sid: "ManageStagedMultipartUploads",
                    effect: "Allow",
                    actions: ["s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
                    resources: [pulumi.interpolate`${args.bucketArn}/${STAGING_KEYS_PATTERN}`],
                },
                {
                    // GET /uploads/{id}: the upload's status object, written by the ingest function.
                    sid: "ReadUploadStatus",
                    effect: "Allow",
                    actions: ["s3:GetObject"],
                    resources: [pulumi.interpolate`${args.bucketArn}/${STATUS_KEYS_PATTERN}`],
                },
                {
                    // So an unknown id reads 404 NoSuchKey, not 403 AccessDenied
                    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions").
                    sid: "ListStatusPrefix",
                    effect: "Allow",
                    actions: ["s3:ListBucket"],
                    resources: [args.bucketArn],
                    conditions: [{ test: "StringLike", variable: "s3:prefix", values: [STATUS_KEYS_PATTERN] }],
                },
                ...(grantKey
                    ? [
                          {
                              // The grant key's derivation: GenerateMac with this one algorithm, on this one key.
                              // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-mac-algorithm
                              sid: "DeriveUploadGrantKey",
                              effect: "Allow",
                              actions: ["kms:GenerateMac"],
                              resources: [grantKey.arn],
                              conditions: [
                                  {
                                      test: "StringEquals",
                                      variable: "kms:MacAlgorithm",
                                      values: [GRANT_KEY_MAC_ALGORITHM],
                                  },
                              ],
                          },
                      ]
                    : []),
                ...(args.urlSigning?.readStatements ?? []),
                // S3 asks KMS for a data key as the signer of the presigned PUT/POST, and the function reads status objects.
                ...bucketKeyStatements(args.kmsKeyArn),
            ],
            this,
        );

        const { handler, watched } = pipelineFunction(
            `${name}-handler`,
            { role, logGroup },
            {
                label: "presign",
                description: "Signs presigned S3 uploads (image-pipeline)",
                architecture: PRESIGN_ARCHITECTURE,
                memoryMb: PRESIGN_MEMORY_MB,
                timeoutSeconds: 10,
                handler: CLOSURE_HANDLER,
                code: closureArchive(presignHandlerFactory),
                // Keys go under the caller's `sub` exactly when this component puts a JWT authorizer in front.
                variables: pulumi
                    .all([args.settings, grantKey?.arn])
                    .apply(([settings, grantKeyId]) =>
                        encodePresignSettings({ ...settings, requireAuth: args.jwt !== undefined, grantKeyId }),
                    ),
                logLevel: args.logLevel,
            },
            this,
        );

        const api = new aws.apigatewayv2.Api(
            `${name}-api`,
            {
                protocolType: "HTTP",
                description: "image-pipeline upload API",
                corsConfiguration: {
                    allowOrigins: args.corsOrigins,
                    allowMethods: [...API_CORS.allowMethods],
                    allowHeaders: [...API_CORS.allowHeaders],
                    allowCredentials: args.corsAllowCredentials ?? false,
                    maxAge: API_CORS.maxAgeSeconds,
                },
            },
            { parent: this },
        );

        const integration = new aws.apigatewayv2.Integration(
            `${name}-integration`,
            {
                apiId: api.id,
                integrationType: "AWS_PROXY",
                integrationUri: handler.arn,
                payloadFormatVersion: "2.0",
                timeoutMilliseconds: 10_000,
            },
            { parent: this },
        );

        const authorizer =
            args.jwt &&
            new aws.apigatewayv2.Authorizer(
                `${name}-jwt`,
                {
                    apiId: api.id,
                    authorizerType: "JWT",
                    identitySources: ["$request.header.Authorization"],
                    jwtConfiguration: { issuer: args.jwt.issuer, audiences: args.jwt.audience },
                },
                { parent: this },
            );

        // Upload routes sign, so they carry the authorizer when one is configured. Uppy's routes under an upload
        // grant carry none (Uppy sends no Authorization header): the function checks the grant on every request.
        const routes = [
            ...UPLOAD_ROUTES.map((routeKey) => ({ routeKey, authorizer })),
            ...(args.urlSigning ? [{ routeKey: SIGNED_URL_ROUTE, authorizer }] : []),
            ...(authorizer ? GRANT_ROUTES.map((routeKey) => ({ routeKey, authorizer: undefined })) : []),
        ];
        for (const route of routes) {
            new aws.apigatewayv2.Route(
                `${name}-${route.routeKey.toLowerCase().replace(/[^a-z]+/g, "-")}`,
                {
                    apiId: api.id,
                    routeKey: route.routeKey,
                    target: pulumi.interpolate`integrations/${integration.id}`,
                    authorizationType: route.authorizer ? "JWT" : "NONE",
                    authorizerId: route.authorizer?.id,
                },
                { parent: this },
            );
        }
        // Everything else reaches the handler only to be answered 400/404/405 in our JSON shape: it signs nothing.
        new aws.apigatewayv2.Route(
            `${name}-default`,
            {
                apiId: api.id,
                routeKey: "$default",
                target: pulumi.interpolate`integrations/${integration.id}`,
            },
            { parent: this },
        );

        if (args.resizer) {
            const resize = new aws.apigatewayv2.Integration(
                `${name}-resize-integration`,
                {
                    apiId: api.id,
                    integrationType: "AWS_PROXY",
                    integrationUri: args.resizer.functionArn,
                    payloadFormatVersion: "2.0",
                    // The HTTP API maximum; config keeps the Resizer's own timeout within it.
                    timeoutMilliseconds: HTTP_API_MAX_INTEGRATION_TIMEOUT_SECONDS * 1000,
                },
                { parent: this },
            );
            new aws.apigatewayv2.Route(
                `${name}-get-resize`,
                {
                    apiId: api.id,
                    routeKey: "GET /resize",
                    target: pulumi.interpolate`integrations/${resize.id}`,
                },
                { parent: this },
            );
            new aws.lambda.Permission(
                `${name}-invoke-resizer`,
                {
                    function: args.resizer.functionName,
                    action: "lambda:InvokeFunction",
                    principal: "apigateway.amazonaws.com",
                    sourceArn: pulumi.interpolate`${api.executionArn}/*/GET/resize`,
                },
                { parent: this },
            );
        }

        new aws.apigatewayv2.Stage(
            `${name}-stage`,
            {
                apiId: api.id,
                name: "$default",
                autoDeploy: true,
                // The Resizer was made before the CDN existed; its /resize redirects learn the CDN URL from here.
                // apiUrl: presign answers each upload's status URL under it (GET /uploads/{id}).
                stageVariables: {
                    cdnUrl: pulumi.output(args.settings).apply((settings) => settings.cdnUrl),
                    apiUrl: api.apiEndpoint,
                },
                defaultRouteSettings: { throttlingBurstLimit: 100, throttlingRateLimit: 50 },
            },
            { parent: this },
        );

        new aws.lambda.Permission(
            `${name}-invoke`,
            {
                function: handler.name,
                action: "lambda:InvokeFunction",
                principal: "apigateway.amazonaws.com",
                sourceArn: pulumi.interpolate`${api.executionArn}/*/*`,
            },
            { parent: this },
        );

        this.apiId = api.id;
        this.url = api.apiEndpoint;
        this.executionArn = api.executionArn;
        this.functionName = handler.name;
        this.roleArn = role.arn;
        this.watched = watched;
        this.registerOutputs({
            apiId: this.apiId,
            url: this.url,
            functionName: this.functionName,
            roleArn: this.roleArn,
        });
    }
}
