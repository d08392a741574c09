// Issue 24 under the Pulumi mocks: every Lambda logs JSON at the config's level; every failure has an alarm on
// an alarms topic (KMS-encrypted, CloudWatch allowed to use its key), the CDN's in us-east-1 with its own topic;
// thresholds from config; alarmEmail subscribes; a fargate stack has its ALB, host and task alarms; the dashboard
// body is JSON with its widgets. That each alarm's metric exists is tests/stack/metricCatalog.spec.ts's.
import { expect } from "chai";
import { ALARM_PERIOD_SECONDS, COST_LABEL } from "../../infra/observability";
import { parsePolicy, ProgramRun, runProgram } from "../support/program";
import { MOCK_REGION, providerRegion } from "../support/pulumiMocks";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const FARGATE = { "image-pipeline:resizerRuntime": "fargate" };
const byName = (run: ProgramRun, name: string) => {
    const found = run.resources.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${name}, found ${found.length}`);
    return found[0];
};
const alarmOn = (run: ProgramRun, metricName: string, dimension: string, value: string) =>
    run.ofType(ALARM).filter((a) => a.inputs.metricName === metricName && a.inputs.dimensions?.[dimension] === value);

describe("observability (infra/observability/) under the mocks", function () {
    this.timeout(180_000);
    let lambda: ProgramRun;
    let fargate: ProgramRun;
    before(async () => {
        lambda = await runProgram({});
        fargate = await runProgram(FARGATE);
    });

    describe("structured logs", () => {
        it("every Lambda function logs JSON into its own log group, at the config's level (INFO by default, DEBUG when set)", async () => {
            const debug = await runProgram({ "image-pipeline:logLevel": "DEBUG" });
            for (const [run, level] of [
                [lambda, "INFO"],
                [fargate, "INFO"],
                [debug, "DEBUG"],
            ] as const) {
                const functions = run.ofType("aws:lambda/function:Function");
                expect(functions.length).to.be.greaterThan(3);
                for (const fn of functions) {
                    expect(fn.inputs.loggingConfig, fn.name).to.deep.include({
                        logFormat: "JSON",
                        applicationLogLevel: level,
                    });
                    expect(fn.inputs.loggingConfig.logGroup, fn.name).to.equal(
                        byName(run, `${fn.name}-logs`).state.name,
                    );
                }
            }
        });
    });

    describe("the alarms topics", () => {
        const topics = (run: ProgramRun) => ({
            here: byName(run, "observability-alarms-topic"),
            east: byName(run, "observability-alarms-us-east-1-topic"),
        });

        it("two topics, each encrypted with a key of its own in its region: the stack's, and us-east-1's (CloudFront's alarm)", () => {
            const { here, east } = topics(lambda);
            expect(here.inputs.kmsMasterKeyId).to.equal(byName(lambda, "observability-alarms-key").state.arn);
            expect(east.inputs.kmsMasterKeyId).to.equal(byName(lambda, "observability-alarms-us-east-1-key").state.arn);
            expect(providerRegion(here.provider)).to.equal(MOCK_REGION);
            expect(providerRegion(east.provider)).to.equal("us-east-1");
            expect(providerRegion(byName(lambda, "observability-alarms-us-east-1-key").provider)).to.equal("us-east-1");
            expect(lambda.outputs.alarmTopicArns).to.deep.equal({ region: here.state.arn, usEast1: east.state.arn });
        });

        it("each key's policy lets CloudWatch encrypt and decrypt what it publishes (kms:Decrypt, kms:GenerateDataKey*), and IAM decide the rest", () => {
            // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
            for (const name of ["observability-alarms", "observability-alarms-us-east-1"]) {
                const keyPolicy = byName(lambda, `${name}-key-policy`);
                expect(keyPolicy.inputs.keyId).to.equal(`${name}-key-id`);
                expect(providerRegion(keyPolicy.provider)).to.equal(
                    name.endsWith("us-east-1") ? "us-east-1" : MOCK_REGION,
                );
                const statements = parsePolicy(keyPolicy.inputs.policy).Statement;
                const cloudWatch = statements.find((s) => s.Principal?.Service === "cloudwatch.amazonaws.com");
                expect(cloudWatch, name).to.deep.include({
                    Effect: "Allow",
                    Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                    Resource: "*",
                });
                expect(statements.find((s) => s.Sid === "EnableIamPoliciesOfThisAccount")?.Principal.AWS).to.equal(
                    "arn:aws:iam::123456789012:root",
                );
                expect(statements).to.have.length(2);
            }
        });

        it("alarmEmail subscribes that address by email to both topics; without it, no subscription", async () => {
            expect(lambda.ofType("aws:sns/topicSubscription:TopicSubscription")).to.deep.equal([]);
            const mailed = await runProgram({ "image-pipeline:alarmEmail": "ops@example.com" });
            const subscriptions = mailed.ofType("aws:sns/topicSubscription:TopicSubscription");
            const { here, east } = topics(mailed);
            expect(subscriptions.map((s) => s.inputs).sort((a, b) => a.topic.localeCompare(b.topic))).to.deep.equal(
                [
                    { topic: here.state.arn, protocol: "email", endpoint: "ops@example.com" },
                    { topic: east.state.arn, protocol: "email", endpoint: "ops@example.com" },
                ].sort((a, b) => a.topic.localeCompare(b.topic)),
            );
            expect(providerRegion(subscriptions.find((s) => s.inputs.topic === east.state.arn)!.provider)).to.equal(
                "us-east-1",
            );
        });
    });

    describe("the alarms", () => {
        it("every alarm notifies the alarms topic of its own region (on ALARM and back to OK), and stays quiet without data", () => {
            for (const run of [lambda, fargate]) {
                const here = byName(run, "observability-alarms-topic").state.arn;
                const east = byName(run, "observability-alarms-us-east-1-topic").state.arn;
                for (const alarm of run.ofType(ALARM)) {
                    const topic = providerRegion(alarm.provider) === "us-east-1" ? east : here;
                    expect(alarm.inputs.alarmActions, alarm.name).to.deep.equal([topic]);
                    expect(alarm.inputs.okActions, alarm.name).to.deep.equal([topic]);
                    expect(alarm.inputs.treatMissingData, alarm.name).to.equal("notBreaching");
                }
            }
        });

        it("function errors: one alarm per Lambda function of the stack, at alarmFunctionErrors in 5 minutes", () => {
            for (const run of [lambda, fargate]) {
                for (const fn of run.ofType("aws:lambda/function:Function")) {
                    const [alarm] = alarmOn(run, "Errors", "FunctionName", fn.state.name);
                    expect(alarm, fn.name).to.not.equal(undefined);
                    expect(alarm.inputs).to.include({
                        namespace: "AWS/Lambda",
                        statistic: "Sum",
                        period: ALARM_PERIOD_SECONDS,
                        threshold: 1,
                        comparisonOperator: "GreaterThanOrEqualToThreshold",
                    });
                }
            }
            const errorAlarms = lambda.ofType(ALARM).filter((a) => a.inputs.metricName === "Errors");
            expect(errorAlarms).to.have.length(lambda.ofType("aws:lambda/function:Function").length);
        });

        it("messages waiting: one alarm per failure destination queue (each on-failure destination and the dead-letter queue)", () => {
            const queues = lambda.ofType("aws:sqs/queue:Queue");
            const destinations = lambda
                .ofType("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
                .map((c) => c.inputs.destinationConfig.onFailure.destination);
            const deadLetters = queues
                .filter((q) => q.inputs.redrivePolicy)
                .map((q) => JSON.parse(q.inputs.redrivePolicy).deadLetterTargetArn);
            const watched = [...new Set([...destinations, ...deadLetters])];
            expect(watched).to.have.length(3);
            for (const arn of watched) {
                const queue = queues.find((q) => q.state.arn === arn)!;
                const [alarm] = alarmOn(lambda, "ApproximateNumberOfMessagesVisible", "QueueName", queue.state.name);
                expect(alarm, queue.name).to.not.equal(undefined);
                expect(alarm.inputs).to.include({ namespace: "AWS/SQS", statistic: "Maximum", threshold: 1 });
            }
        });

        it("the Resizer (lambda): throttles, and p99 duration over alarmResizerDurationPercent of its timeout", () => {
            const resizer = byName(lambda, "resizer-handler");
            const [throttles] = alarmOn(lambda, "Throttles", "FunctionName", resizer.state.name);
            expect(throttles.inputs).to.include({ statistic: "Sum", threshold: 10 });
            const [duration] = alarmOn(lambda, "Duration", "FunctionName", resizer.state.name);
            expect(duration.inputs).to.include({
                extendedStatistic: "p99",
                threshold: resizer.inputs.timeout * 1000 * 0.8,
                comparisonOperator: "GreaterThanThreshold",
            });
            expect(duration.inputs.statistic).to.equal(undefined);
        });

        it("the HTTP API's 5xx, and CloudFront's 5xxErrorRate in us-east-1 (Region Global)", () => {
            const [api] = alarmOn(lambda, "5xx", "ApiId", "uploads-api-id" /* the mocks' id of uploads-api */);
            expect(api.inputs).to.include({ namespace: "AWS/ApiGateway", statistic: "Sum", threshold: 5 });
            const [cdn] = alarmOn(lambda, "5xxErrorRate", "DistributionId", "cdn-distribution-id");
            expect(cdn.inputs).to.include({ namespace: "AWS/CloudFront", statistic: "Average", threshold: 5 });
            expect(cdn.inputs.dimensions.Region).to.equal("Global");
            expect(providerRegion(cdn.provider)).to.equal("us-east-1");
        });

        it("every threshold comes from its config key", async () => {
            const tuned = await runProgram({
                "image-pipeline:alarmFunctionErrors": "3",
                "image-pipeline:alarmResizerThrottles": "20",
                "image-pipeline:alarmResizerDurationPercent": "50",
                "image-pipeline:alarmServer5xx": "9",
                "image-pipeline:alarmCdn5xxRatePercent": "7",
                "image-pipeline:alarmFailureQueueMessages": "4",
                "image-pipeline:resizerTimeoutSeconds": "20",
            });
            const threshold = (metricName: string) => [
                ...new Set(
                    tuned
                        .ofType(ALARM)
                        .filter((a) => a.inputs.metricName === metricName)
                        .map((a) => a.inputs.threshold),
                ),
            ];
            expect(threshold("Errors")).to.deep.equal([3]);
            expect(threshold("Throttles")).to.deep.equal([20]);
            expect(threshold("Duration")).to.deep.equal([10_000]);
            expect(threshold("5xx")).to.deep.equal([9]);
            expect(threshold("5xxErrorRate")).to.deep.equal([7]);
            expect(threshold("ApproximateNumberOfMessagesVisible")).to.deep.equal([4]);
        });

        it("fargate: ALB 5xx (its own and the tasks'), unhealthy hosts, and running tasks at fargateMaxTasks; no Lambda Resizer alarms", async () => {
            const alb = byName(fargate, "observability-resizer-alb-5xx").inputs;
            const lb = byName(fargate, "resizer-alb").state.loadBalancer.arnSuffix;
            const tg = byName(fargate, "resizer-alb").state.defaultTargetGroup.arnSuffix;
            expect(
                alb.metricQueries
                    .filter((q: any) => q.metric)
                    .map((q: any) => [q.metric.metricName, q.metric.dimensions]),
            ).to.deep.equal([
                ["HTTPCode_ELB_5XX_Count", { LoadBalancer: lb }],
                ["HTTPCode_Target_5XX_Count", { LoadBalancer: lb }],
            ]);
            expect(alb.metricQueries.find((q: any) => q.returnData).expression).to.equal(
                "FILL(elb, 0) + FILL(target, 0)",
            );
            expect(alb.threshold).to.equal(5);
            const hosts = byName(fargate, "observability-resizer-unhealthy-hosts").inputs;
            expect(hosts).to.deep.include({
                metricName: "UnHealthyHostCount",
                dimensions: { LoadBalancer: lb, TargetGroup: tg },
            });
            const tasks = byName(fargate, "observability-resizer-tasks-at-max").inputs;
            expect(tasks).to.deep.include({
                namespace: "ECS/ContainerInsights",
                metricName: "RunningTaskCount",
                dimensions: {
                    ClusterName: byName(fargate, "resizer-cluster").state.name,
                    ServiceName: "resizer-service-svc",
                },
                threshold: 4,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
            });
            const eight = await runProgram({ ...FARGATE, "image-pipeline:fargateMaxTasks": "8" });
            expect(byName(eight, "observability-resizer-tasks-at-max").inputs.threshold).to.equal(8);
            expect(
                fargate.ofType(ALARM).filter((a) => ["Throttles", "Duration"].includes(a.inputs.metricName)),
            ).to.deep.equal([]);
            expect(lambda.ofType(ALARM).filter((a) => a.name.startsWith("observability-resizer-alb"))).to.deep.equal(
                [],
            );
        });
    });

    describe("the dashboard", () => {
        const widgets = (run: ProgramRun) =>
            JSON.parse(run.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody).widgets;
        const titles = (run: ProgramRun) => widgets(run).map((w: any) => w.properties.title);

        it("its body is JSON with every widget the issue names, and dashboardUrl opens it", () => {
            expect(titles(lambda)).to.include.members([
                "Uploads by outcome",
                "Ingest time (ms)",
                "Resizer invocations, errors, throttles",
                "Resizer duration (ms)",
                "Variants made by format",
                "CDN requests",
                "CDN bytes downloaded",
                "CDN cache hit rate and 4xx / 5xx rates (%)",
                "Failure destinations: records waiting",
                "Estimated cost: Lambda, API, Fargate",
                "Estimated cost: CloudFront",
            ]);
            expect(titles(fargate)).to.include.members(["Resizer requests and 5xx (load balancer)", "Resizer tasks"]);
            const dashboard = lambda.one("aws:cloudwatch/dashboard:Dashboard");
            expect(lambda.outputs.dashboardUrl).to.equal(
                `https://${MOCK_REGION}.console.aws.amazon.com/cloudwatch/home?region=${MOCK_REGION}#dashboards/dashboard/${dashboard.inputs.dashboardName}`,
            );
            for (const widget of widgets(lambda)) {
                expect(widget.properties.metrics.length, widget.properties.title).to.be.greaterThan(0);
                expect(widget).to.include({ type: "metric", width: 12, height: 6 });
            }
        });

        it("the cost widgets are metric math labelled as an estimate, over every function's invocations and duration", () => {
            const cost = widgets(lambda).find(
                (w: any) => w.properties.title === "Estimated cost: Lambda, API, Fargate",
            );
            const expression = cost.properties.metrics.find((line: any[]) => line[0].expression)[0];
            expect(expression.label).to.contain(COST_LABEL).and.to.contain("estimate");
            const functions = lambda.ofType("aws:lambda/function:Function").length;
            for (let i = 0; i < functions; i++)
                expect(expression.expression).to.contain(`FILL(inv${i},0)`).and.contain(`FILL(dur${i},0)`);
            const cdn = widgets(lambda).find((w: any) => w.properties.title === "Estimated cost: CloudFront");
            expect(cdn.properties.region).to.equal("us-east-1");
            const fargateCost = widgets(fargate).find(
                (w: any) => w.properties.title === "Estimated cost: Lambda, API, Fargate",
            );
            expect(JSON.stringify(fargateCost.properties.metrics)).to.contain("FILL(tasks,0)");
        });
    });
});
