import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { WatchedFunction } from "../observability/watchedPipeline";
import type { LogLevel } from "../../functions/shared/structuredLog";
import { encodeResizeSettings, ResizeSettings } from "../../functions/resize/settings";
import { lambdaExecution } from "../builders/lambdaRole";
import { LambdaArchitecture, sharpLambdaArchive } from "../builders/resizerArchive";
import { pipelineFunction } from "../builders/pipelineFunction";
import { resizerStatements } from "./resizerPolicy";

export interface ResizerArgs {
    /** The application log level (config logLevel): Lambda filters the function's lines at it. */
    logLevel: LogLevel;
    bucketArn: pulumi.Input<string>;
    /** What the function reads from its environment (functions/resize/settings.ts encodes it). */
    settings: pulumi.Input<ResizeSettings>;
    /** Decides which sharp binary is packaged, so it is known when the program runs (not an Input). */
    architecture: LambdaArchitecture;
    memoryMb: number;
    timeoutSeconds: pulumi.Input<number>;
    /** Caps concurrent resizes (a runaway-bill guard); undefined only when config turned it off. */
    reservedConcurrency?: pulumi.Input<number>;
    /** The bucket's SSE-KMS key (key ARN): reading originals decrypts, writing variants encrypts. */
    kmsKeyArn?: pulumi.Input<string>;
}

/**
 * The sharp Lambda that makes missing variants. CloudFront reaches it through a Function URL (AWS_IAM auth,
 * signed by a Lambda Origin Access Control: infra/delivery/failoverOrigins.ts); the HTTP API reaches it for GET /resize.
 */
export class Resizer extends pulumi.ComponentResource {
    public readonly functionName: pulumi.Output<string>;
    public readonly functionArn: pulumi.Output<string>;
    /** https://<id>.lambda-url.<region>.on.aws/ */
    public readonly functionUrl: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    /** What the alarms and the dashboard watch (infra/observability/). */
    public readonly watched: WatchedFunction;
    /** The code archive (index.js, ingest.js, node_modules with sharp for `architecture`): the Ingest function
     *  runs from the same archive, so there is one bundle of sharp per stack. */
    public readonly code: pulumi.Output<pulumi.asset.AssetArchive>;

    constructor(name: string, args: ResizerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:resize:Resizer", name, {}, opts);

        const { role, logGroup } = lambdaExecution(
            `${name}-handler`,
            resizerStatements(args.bucketArn, args.kmsKeyArn),
            this,
        );

        this.code = sharpLambdaArchive(args.architecture);
        const { handler, watched } = pipelineFunction(
            `${name}-handler`,
            { role, logGroup },
            {
                label: "resizer",
                description: "Makes image variants with sharp (image-pipeline)",
                architecture: args.architecture,
                memoryMb: args.memoryMb,
                timeoutSeconds: args.timeoutSeconds,
                reservedConcurrency: args.reservedConcurrency,
                handler: "index.handler",
                code: this.code,
                variables: pulumi.output(args.settings).apply(encodeResizeSettings),
                logLevel: args.logLevel,
            },
            this,
        );

        const url = new aws.lambda.FunctionUrl(
            `${name}-url`,
            {
                functionName: handler.name,
                authorizationType: "AWS_IAM",
                invokeMode: "BUFFERED",
            },
            { parent: this },
        );

        this.functionName = handler.name;
        this.functionArn = handler.arn;
        this.functionUrl = url.functionUrl;
        this.roleArn = role.arn;
        this.watched = watched;
        this.registerOutputs({
            functionName: this.functionName,
            functionArn: this.functionArn,
            functionUrl: this.functionUrl,
        });
    }
}
