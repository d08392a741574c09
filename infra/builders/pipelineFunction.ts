// A function of the pipeline: what all five Lambda functions share (Node's runtime, JSON logs at the config's
// level into the log group its execution role writes to, made after that group) and the record the alarms and the
// dashboard watch it by, built from the same memory and architecture the function is given.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { LogLevel } from "../../functions/shared/structuredLog";
import type { WatchedFunction } from "../observability/watchedPipeline";
import { jsonLogging, LambdaExecution } from "./lambdaRole";
import { LAMBDA_RUNTIME } from "./lambdaRuntime";

export interface PipelineFunctionArgs {
    /** Short and stable: names its alarm (`<label>-errors`) and its dashboard line. */
    label: string;
    description: string;
    architecture: WatchedFunction["architecture"];
    memoryMb: number;
    timeoutSeconds: pulumi.Input<number>;
    /** The entry, `<file>.<export>` in `code`. */
    handler: string;
    code: pulumi.Input<pulumi.asset.Archive>;
    /** Its settings, encoded as environment variables (functions/<function>/settings.ts). */
    variables: pulumi.Input<Record<string, pulumi.Input<string>>>;
    logLevel: LogLevel;
    reservedConcurrency?: pulumi.Input<number>;
}

export interface PipelineFunction {
    handler: aws.lambda.Function;
    watched: WatchedFunction;
}

/** The Lambda function `<name>` running as `execution`'s role. */
export function pipelineFunction(
    name: string,
    execution: Pick<LambdaExecution, "role" | "logGroup">,
    args: PipelineFunctionArgs,
    parent: pulumi.Resource,
): PipelineFunction {
    const { role, logGroup } = execution;
    const handler = new aws.lambda.Function(
        name,
        {
            description: args.description,
            runtime: LAMBDA_RUNTIME,
            architectures: [args.architecture],
            memorySize: args.memoryMb,
            timeout: args.timeoutSeconds,
            ...(args.reservedConcurrency === undefined
                ? {}
                : { reservedConcurrentExecutions: args.reservedConcurrency }),
            role: role.arn,
            handler: args.handler,
            code: args.code,
            loggingConfig: jsonLogging(logGroup, args.logLevel),
            environment: { variables: args.variables },
        },
        { parent, dependsOn: [logGroup] },
    );
    const watched = {
        label: args.label,
        functionName: handler.name,
        memoryMb: args.memoryMb,
        architecture: args.architecture,
    };
    return { handler, watched };
}
