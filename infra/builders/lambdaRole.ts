import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { LogLevel } from "../../functions/shared/structuredLog";

type Statement = aws.types.input.iam.GetPolicyDocumentStatementArgs;

export interface LambdaExecution {
    role: aws.iam.Role;
    /** The function's own log group (its `loggingConfig` names it). */
    logGroup: aws.cloudwatch.LogGroup;
    /** The role's statements: what a resource that AWS checks against them when made must depend on. */
    policy: aws.iam.RolePolicy;
}

/**
 * A Lambda execution role holding exactly the given statements plus writing to its own log group: no managed
 * policy (aws.lambda.CallbackFunction would attach several *FullAccess ones when given no role).
 */
export function lambdaExecution(name: string, statements: Statement[], parent: pulumi.Resource): LambdaExecution {
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: 30 }, { parent });
    const role = new aws.iam.Role(
        `${name}-role`,
        {
            assumeRolePolicy: assumableBy("lambda.amazonaws.com"),
        },
        { parent },
    );
    const policy = new aws.iam.RolePolicy(
        `${name}-policy`,
        {
            role: role.id,
            policy: aws.iam.getPolicyDocumentOutput({
                statements: [
                    ...statements,
                    {
                        sid: "WriteOwnLogs",
                        effect: "Allow",
                        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
                        resources: [pulumi.interpolate`${logGroup.arn}:*`],
                    },
                ],
            }).json,
        },
        { parent },
    );
    return { role, logGroup, policy };
}

/** A role's trust policy: only this AWS service (e.g. lambda.amazonaws.com, ecs-tasks.amazonaws.com) may assume it. */
export function assumableBy(service: string): pulumi.Output<string> {
    return aws.iam.getPolicyDocumentOutput({
        statements: [
            { effect: "Allow", actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: [service] }] },
        ],
    }).json;
}

/**
 * A function's logging: JSON records into its own log group, its application lines filtered at `level`. Lambda reads
 * each line's `level` for that (functions/shared/structuredLog.ts writes it) and hands the level to the code as
 * AWS_LAMBDA_LOG_LEVEL, which Powertools' Logger follows
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html). No new permission:
 * the lines, metric lines included, go to the group through stdout as before.
 */
export function jsonLogging(
    logGroup: aws.cloudwatch.LogGroup,
    level: LogLevel,
): aws.types.input.lambda.FunctionLoggingConfig {
    return { logFormat: "JSON", applicationLogLevel: level, systemLogLevel: "INFO", logGroup: logGroup.name };
}
