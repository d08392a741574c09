import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RESIZE_ENV } from "../functions/resizeSettings";
import { lambdaExecution } from "./lambdaRole";
import { UPLOADS_PREFIX } from "./bucketLayout";
import { buildResizer, LambdaArchitecture } from "./resizerArchive";

export interface ResizerArgs {
    bucketName: pulumi.Input<string>;
    bucketArn: pulumi.Input<string>;
    allowedResolutions: pulumi.Input<string[]>;
    maxResizeDimension: pulumi.Input<number>;
    fit: pulumi.Input<string>;
    quality: pulumi.Input<number>;
    limitInputPixels: pulumi.Input<number>;
    /** Decides which sharp binary is packaged, so it is known when the program runs (not an Input). */
    architecture: LambdaArchitecture;
    memoryMb: pulumi.Input<number>;
    timeoutSeconds: pulumi.Input<number>;
    /** Caps concurrent resizes (a runaway-bill guard); undefined only when config turned it off. */
    reservedConcurrency?: pulumi.Input<number>;
    /** The bucket's SSE-KMS key (key ARN): reading originals decrypts, writing variants encrypts. */
    kmsKeyArn?: pulumi.Input<string>;
}

/**
 * The sharp Lambda that makes missing variants. CloudFront reaches it through a Function URL (AWS_IAM auth,
 * signed by a Lambda Origin Access Control: see CdnDistribution); the HTTP API reaches it for GET /resize.
 */
export class Resizer extends pulumi.ComponentResource {
    public readonly functionName: pulumi.Output<string>;
    public readonly functionArn: pulumi.Output<string>;
    /** https://<id>.lambda-url.<region>.on.aws/ */
    public readonly functionUrl: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: ResizerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:resize:Resizer", name, {}, opts);

        const variantKeys = pulumi.interpolate`${args.bucketArn}/*x*/${UPLOADS_PREFIX}*`;
        const { role, logGroup } = lambdaExecution(`${name}-handler`, [
            { sid: "ReadOriginalsAndVariants", effect: "Allow", actions: ["s3:GetObject"], resources: [pulumi.interpolate`${args.bucketArn}/${UPLOADS_PREFIX}*`, variantKeys] },
            { sid: "WriteVariants", effect: "Allow", actions: ["s3:PutObject"], resources: [variantKeys] },
            // "*x*/uploads/*" would also match keys under uploads/: originals are never the Resizer's to write.
            { sid: "NeverWriteOriginals", effect: "Deny", actions: ["s3:PutObject"], resources: [pulumi.interpolate`${args.bucketArn}/${UPLOADS_PREFIX}*`] },
            {
                // With s3:ListBucket S3 answers a missing key 404 NoSuchKey instead of 403 AccessDenied, so the
                // Resizer can tell a missing original from a refusal
                // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"); only the
                // prefixes it reads may be listed.
                sid: "ListOriginalAndVariantPrefixes",
                effect: "Allow",
                actions: ["s3:ListBucket"],
                resources: [args.bucketArn],
                conditions: [{ test: "StringLike", variable: "s3:prefix", values: [`${UPLOADS_PREFIX}*`, `*x*/${UPLOADS_PREFIX}*`] }],
            },
            ...(args.kmsKeyArn ? [{
                sid: "UseTheBucketKey",
                effect: "Allow",
                actions: ["kms:Decrypt", "kms:GenerateDataKey"],
                resources: [args.kmsKeyArn],
            }] : []),
        ], this);

        const build = buildResizer(args.architecture);
        const handler = new aws.lambda.Function(`${name}-handler`, {
            description: "Makes image variants with sharp (image-pipeline)",
            runtime: "nodejs22.x",
            architectures: [args.architecture],
            memorySize: args.memoryMb,
            timeout: args.timeoutSeconds,
            reservedConcurrentExecutions: args.reservedConcurrency,
            role: role.arn,
            handler: "index.handler",
            code: pulumi.output(build).apply(({ code, nodeModulesDir }) => new pulumi.asset.AssetArchive({
                "index.js": new pulumi.asset.StringAsset(code),
                node_modules: new pulumi.asset.FileArchive(nodeModulesDir),
            })),
            loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
            environment: {
                variables: {
                    [RESIZE_ENV.bucket]: args.bucketName,
                    [RESIZE_ENV.uploadPrefix]: UPLOADS_PREFIX,
                    [RESIZE_ENV.allowedResolutions]: pulumi.output(args.allowedResolutions).apply((sizes) => sizes.join(",")),
                    [RESIZE_ENV.maxDimension]: pulumi.output(args.maxResizeDimension).apply(String),
                    [RESIZE_ENV.fit]: args.fit,
                    [RESIZE_ENV.quality]: pulumi.output(args.quality).apply(String),
                    [RESIZE_ENV.limitInputPixels]: pulumi.output(args.limitInputPixels).apply(String),
                },
            },
        }, { parent: this, dependsOn: [logGroup] });

        const url = new aws.lambda.FunctionUrl(`${name}-url`, {
            functionName: handler.name,
            authorizationType: "AWS_IAM",
            invokeMode: "BUFFERED",
        }, { parent: this });

        this.functionName = handler.name;
        this.functionArn = handler.arn;
        this.functionUrl = url.functionUrl;
        this.roleArn = role.arn;
        this.registerOutputs({ functionName: this.functionName, functionArn: this.functionArn, functionUrl: this.functionUrl });
    }
}
