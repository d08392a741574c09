// The fargate service's task count after creation belongs to Application Auto Scaling: the ECS service awsx's
// (remote) FargateService creates must ignore desiredCount, or every `pulumi up` after a refresh sets it back to
// fargateMinTasks. Under the mocks the component has no children and the engine runs no transform, so the spec
// calls the transform registered with it over gRPC, as the engine does for each child
// (https://www.pulumi.com/docs/iac/concepts/options/transforms/).
import { expect } from "chai";
import { runProgram } from "../support/program";
import { transformsOf } from "../support/pulumiMocks";
import { runTransform } from "../support/pulumiTransforms";

describe("resizerRuntime fargate: autoscaling owns the task count after creation", function () {
    this.timeout(120_000);
    let desiredCount: number;
    before(async () => {
        const run = await runProgram({
            "image-pipeline:resizerRuntime": "fargate",
            "image-pipeline:fargateMinTasks": "2",
        });
        desiredCount = run.one("awsx:ecs:FargateService").inputs.desiredCount;
    });

    const serviceTransform = () => {
        const transforms = transformsOf.get("resizer-service") ?? [];
        expect(transforms, "transforms registered with the FargateService").to.have.length(1);
        return transforms[0];
    };

    it("creates the service with fargateMinTasks tasks", () => {
        expect(desiredCount).to.equal(2);
    });

    it("the ECS service awsx creates ignores changes to desiredCount, and keeps its inputs", async () => {
        const props = { desiredCount, launchType: "FARGATE", cluster: "arn:aws:ecs:cluster/resizer-cluster" };
        const result = await runTransform(serviceTransform(), {
            type: "aws:ecs/service:Service",
            name: "resizer-service",
            custom: true,
            props,
        });
        expect(result.ignoreChanges).to.deep.equal(["desiredCount"]);
        expect(result.props).to.deep.equal(props);
    });

    it("leaves the component's other children alone (task definition, the component itself)", async () => {
        for (const [type, custom] of [
            ["aws:ecs/taskDefinition:TaskDefinition", true],
            ["awsx:ecs:FargateService", false],
        ] as const) {
            const result = await runTransform(serviceTransform(), {
                type,
                name: "resizer-service",
                custom,
                props: { family: "resizer" },
            });
            expect(result.ignoreChanges, type).to.deep.equal([]);
            expect(result.props, type).to.deep.equal({ family: "resizer" });
        }
    });
});
