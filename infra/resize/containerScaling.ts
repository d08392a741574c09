// How many Resizer tasks run: Application Auto Scaling's target tracking between minTasks and maxTasks, on CPU
// and optionally on ALB requests per task (scale-out when either asks, scale-in when both allow).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ResizerScalingArgs {
    /** The ECS service's resource id, service/<cluster name>/<service name>. */
    resourceId: pulumi.Input<string>;
    minTasks: number;
    maxTasks: number;
    /** Average CPU % that target tracking keeps. */
    targetCpuPercent: number;
    /** When set, ALB requests per task (per minute) that a second policy keeps. */
    targetRequestsPerTask?: number;
    /** app/<lb name>/<id>/targetgroup/<tg name>/<id>: the ARN suffixes of the ALB and its target group
     *  (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html). */
    requestCountLabel: pulumi.Input<string>;
}

/** The scalable target `${name}-scaling` and its policies, children of `parent`. */
export function resizerScaling(name: string, parent: pulumi.Resource, args: ResizerScalingArgs): void {
    const scaling = new aws.appautoscaling.Target(
        `${name}-scaling`,
        {
            serviceNamespace: "ecs",
            scalableDimension: "ecs:service:DesiredCount",
            resourceId: args.resourceId,
            minCapacity: args.minTasks,
            maxCapacity: args.maxTasks,
        },
        { parent },
    );
    const tracking = (
        policyName: string,
        predefinedMetricSpecification: aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
        targetValue: number,
    ) =>
        new aws.appautoscaling.Policy(
            policyName,
            {
                policyType: "TargetTrackingScaling",
                serviceNamespace: scaling.serviceNamespace,
                scalableDimension: scaling.scalableDimension,
                resourceId: scaling.resourceId,
                targetTrackingScalingPolicyConfiguration: { predefinedMetricSpecification, targetValue },
            },
            { parent },
        );
    tracking(
        `${name}-cpu-tracking`,
        { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        args.targetCpuPercent,
    );
    if (args.targetRequestsPerTask !== undefined) {
        tracking(
            `${name}-requests-tracking`,
            { predefinedMetricType: "ALBRequestCountPerTarget", resourceLabel: args.requestCountLabel },
            args.targetRequestsPerTask,
        );
    }
}
