// The fargate Resizer's two roles: the task role (what the Resizer itself may do: resizerPolicy.ts, the same
// statements as the Lambda's) and the execution role (what ECS does for it: pull its image, ship its logs).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumableBy } from "../builders/lambdaRole";
import { resizerStatements } from "./resizerPolicy";

/** The role the containers run as (`${name}-task-role`, a child of `parent`): the Resizer's statements only. */
export function resizerTaskRole(
    name: string,
    parent: pulumi.Resource,
    bucket: { bucketArn: pulumi.Input<string>; kmsKeyArn?: pulumi.Input<string> },
): aws.iam.Role {
    const taskRole = new aws.iam.Role(
        `${name}-task-role`,
        { assumeRolePolicy: assumableBy("ecs-tasks.amazonaws.com") },
        { parent },
    );
    const statements = resizerStatements(bucket.bucketArn, bucket.kmsKeyArn);
    new aws.iam.RolePolicy(
        `${name}-task-policy`,
        { role: taskRole.id, policy: aws.iam.getPolicyDocumentOutput({ statements }).json },
        { parent },
    );
    return taskRole;
}

/**
 * The execution role (ECS pulls the image and ships the logs with it): this repository and this log group only,
 * instead of awsx's default (the managed AmazonECSTaskExecutionRolePolicy, on every repository and log group).
 * ecr:GetAuthorizationToken has no resource type, so it can only be granted on "*":
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
 */
export function resizerExecutionRole(
    name: string,
    parent: pulumi.Resource,
    uses: { repositoryArn: pulumi.Input<string>; logGroupArn: pulumi.Input<string> },
): aws.iam.Role {
    const executionRole = new aws.iam.Role(
        `${name}-execution-role`,
        { assumeRolePolicy: assumableBy("ecs-tasks.amazonaws.com") },
        { parent },
    );
    new aws.iam.RolePolicy(
        `${name}-execution-policy`,
        {
            role: executionRole.id,
            policy: aws.iam.getPolicyDocumentOutput({
                statements: [
                    {
                        sid: "RegistryLogin",
                        effect: "Allow",
                        actions: ["ecr:GetAuthorizationToken"],
                        resources: ["*"],
                    },
                    {
                        sid: "PullTheResizerImage",
                        effect: "Allow",
                        actions: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                        resources: [uses.repositoryArn],
                    },
                    {
                        sid: "WriteOwnLogs",
                        effect: "Allow",
                        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
                        resources: [pulumi.interpolate`${uses.logGroupArn}:*`],
                    },
                ],
            }).json,
        },
        { parent },
    );
    return executionRole;
}
