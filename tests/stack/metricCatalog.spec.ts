// No alarm and no dashboard widget names a metric, or a dimension, that its service does not publish: CloudWatch
// accepts any name, and an alarm on a metric nobody publishes stays quiet for ever. Every metric of every alarm
// (aws:cloudwatch/metricAlarm, its metric queries too) and of the dashboard body is checked against the catalogue
// (infra/observability/awsMetricCatalog.ts: AWS's metric pages, cited per namespace, and PIPELINE_METRICS), and
// what a metric needs switched on (CloudFront's additional metrics, Container Insights) is switched on.
import { expect } from "chai";
import { metricsNamespace } from "../../functions/shared/pipelineMetrics";
import {
    AWS_METRIC_CATALOG,
    awsMetric,
    CatalogNamespace,
    metricProblem,
    pipelineCatalog,
    pipelineMetric,
} from "../../infra/observability";
import { alarmMetrics, dashboardMetrics, FoundMetric } from "../support/metricRefs";
import { ProgramRun, runProgram } from "../support/program";
import { MOCK_PROJECT, MOCK_REGION, providerRegion, RecordedResource } from "../support/pulumiMocks";

const NAMESPACE = metricsNamespace(MOCK_PROJECT, "dev");
const CATALOG: Record<string, CatalogNamespace> = { ...AWS_METRIC_CATALOG, ...pipelineCatalog(NAMESPACE) };
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

const STACKS: Record<string, Record<string, string>> = {
    lambda: {},
    "lambda with every option": {
        "image-pipeline:kmsKeyArn": "create",
        "image-pipeline:eagerResolutions": "300x300",
        "image-pipeline:alarmEmail": "ops@example.com",
    },
    fargate: { "image-pipeline:resizerRuntime": "fargate" },
    "without CloudFront's additional metrics": { "image-pipeline:cdnAdditionalMetrics": "false" },
};

/** Every metric the stack's alarms and dashboard name. */
function stackMetrics(run: ProgramRun): FoundMetric[] {
    const dashboard = run.one("aws:cloudwatch/dashboard:Dashboard");
    return [...run.ofType(ALARM).flatMap(alarmMetrics), ...dashboardMetrics(dashboard.inputs.dashboardBody)];
}

/** Why the run's metrics fail the catalogue, one line per problem. */
function problems(metrics: FoundMetric[]): string[] {
    return metrics.flatMap((metric) => {
        const problem = metricProblem(metric, CATALOG);
        const unresolved = Object.entries(metric.dimensions).filter(([, v]) => typeof v !== "string" || v === "");
        return [
            ...(problem ? [`${metric.where}: ${problem}`] : []),
            ...unresolved.map(([name]) => `${metric.where}: dimension ${name} has no value`),
        ];
    });
}

function fakeAlarm(inputs: Record<string, unknown>): RecordedResource {
    return { type: ALARM, name: "made-up", inputs, state: {} };
}

describe("alarms and widgets name only metrics their service publishes (infra/observability/awsMetricCatalog.ts)", function () {
    this.timeout(180_000);
    const runs: Record<string, ProgramRun> = {};
    before(async () => {
        for (const [stack, config] of Object.entries(STACKS)) runs[stack] = await runProgram(config);
    });

    for (const stack of Object.keys(STACKS)) {
        it(`${stack} stack: every alarm's and widget's metric name and dimensions are in the catalogue`, () => {
            const metrics = stackMetrics(runs[stack]);
            expect(metrics.length).to.be.greaterThan(20);
            expect(problems(metrics)).to.deep.equal([]);
        });
    }

    it("each AWS namespace of the catalogue cites the AWS page its names and dimensions were checked on", () => {
        for (const [namespace, entry] of Object.entries(AWS_METRIC_CATALOG)) {
            expect(entry.doc, namespace).to.match(/^https:\/\/docs\.aws\.amazon\.com\//);
            expect(Object.keys(entry.metrics), namespace).to.not.be.empty;
        }
    });

    it("the checker refuses what AWS does not publish: made-up alarms fail it, each for its reason", () => {
        const bad = [
            // REST API names (5XXError, ApiName): an HTTP API publishes `5xx` under ApiId.
            { namespace: "AWS/ApiGateway", metricName: "5XXError", dimensions: { ApiId: "abc" } },
            { namespace: "AWS/ApiGateway", metricName: "5xx", dimensions: { ApiName: "uploads" } },
            { namespace: "AWS/Lambda", metricName: "Error", dimensions: { FunctionName: "f" } },
            { namespace: "AWS/Lambda", metricName: "Errors", dimensions: { Function: "f" } },
            // CloudFront's Region is always Global, and the DistributionId is needed with it.
            {
                namespace: "AWS/CloudFront",
                metricName: "5xxErrorRate",
                dimensions: { DistributionId: "E1", Region: "us-east-1" },
            },
            { namespace: "AWS/CloudFront", metricName: "5xxErrorRate", dimensions: { DistributionId: "E1" } },
            {
                namespace: "AWS/SQS",
                metricName: "ApproximateNumberOfMessagesVisible",
                dimensions: { QueueUrl: "https://q" },
            },
            {
                namespace: "AWS/ApplicationELB",
                metricName: "UnHealthyHostCount",
                dimensions: { LoadBalancer: "app/x/1" },
            },
            // The task count is Container Insights', not AWS/ECS's.
            {
                namespace: "AWS/ECS",
                metricName: "RunningTaskCount",
                dimensions: { ClusterName: "c", ServiceName: "s" },
            },
            { namespace: NAMESPACE, metricName: "UploadsDone", dimensions: { service: "ingest" } },
            { namespace: NAMESPACE, metricName: "VariantsMade", dimensions: { service: "resize" } },
        ];
        for (const metric of bad) {
            const alarm = fakeAlarm(metric);
            expect(problems(alarmMetrics(alarm)), JSON.stringify(metric)).to.have.length(1);
        }
        // A metric query of a math alarm is walked too.
        const math = fakeAlarm({
            metricQueries: [
                { id: "a", metric: { namespace: "AWS/ApplicationELB", metricName: "HTTPCode_5XX", dimensions: {} } },
                { id: "all", expression: "a" },
            ],
        });
        expect(problems(alarmMetrics(math))).to.have.length(1);
        // And a dashboard line.
        const body = JSON.stringify({
            widgets: [
                {
                    properties: {
                        title: "t",
                        region: "x",
                        metrics: [["AWS/Lambda", "Invocation", "FunctionName", "f"]],
                    },
                },
            ],
        });
        expect(problems(dashboardMetrics(body))).to.deep.equal([
            "t: AWS/Lambda Invocation: not a metric AWS/Lambda publishes (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html)",
        ]);
    });

    it("the program itself refuses to make an alarm or widget on an unpublished metric", () => {
        expect(() => awsMetric("AWS/Lambda", "Error", { FunctionName: "f" })).to.throw(/unpublished metric/);
        expect(() => awsMetric("AWS/ApiGateway", "5xx", { ApiName: "uploads" })).to.throw(/dimensions \[ApiName\]/);
        expect(() => pipelineMetric(NAMESPACE, "VariantsMade")).to.throw(/unpublished metric/);
        expect(awsMetric("AWS/ApiGateway", "5xx", { ApiId: "abc" }).metricName).to.equal("5xx");
    });

    it("CloudFront's metrics are read in us-east-1: its widgets' region, and its alarm's provider", () => {
        for (const stack of Object.keys(STACKS)) {
            const run = runs[stack];
            const dashboard = run.one("aws:cloudwatch/dashboard:Dashboard");
            const cdnLines = dashboardMetrics(dashboard.inputs.dashboardBody).filter(
                (m) => m.namespace === "AWS/CloudFront",
            );
            expect(cdnLines.length).to.be.greaterThan(3);
            for (const line of cdnLines) expect(line.region, `${stack}: ${line.where}`).to.equal("us-east-1");
            const cdnAlarms = run.ofType(ALARM).filter((a) => a.inputs.namespace === "AWS/CloudFront");
            expect(cdnAlarms).to.have.length(1);
            expect(providerRegion(cdnAlarms[0].provider)).to.equal("us-east-1");
            for (const alarm of run.ofType(ALARM).filter((a) => a.inputs.namespace !== "AWS/CloudFront"))
                expect(providerRegion(alarm.provider), alarm.name).to.equal(MOCK_REGION);
        }
    });

    it("what a metric needs is on: CloudFront's additional metrics for CacheHitRate, Container Insights for the task count", () => {
        for (const stack of Object.keys(STACKS)) {
            const run = runs[stack];
            for (const metric of stackMetrics(run)) {
                const requires = CATALOG[metric.namespace].metrics[metric.metricName].requires;
                if (requires === "cloudfrontAdditionalMetrics") {
                    const subscription = run.one("aws:cloudfront/monitoringSubscription:MonitoringSubscription");
                    expect(subscription.inputs.distributionId).to.equal(metric.dimensions.DistributionId);
                    expect(subscription.inputs.monitoringSubscription).to.deep.equal({
                        realtimeMetricsSubscriptionConfig: { realtimeMetricsSubscriptionStatus: "Enabled" },
                    });
                } else if (requires === "ecsContainerInsights") {
                    const cluster = run.one("aws:ecs/cluster:Cluster");
                    expect(cluster.state.name).to.equal(metric.dimensions.ClusterName);
                    expect(cluster.inputs.settings).to.deep.include({ name: "containerInsights", value: "enabled" });
                }
            }
        }
        const names = (run: ProgramRun) => stackMetrics(run).map((m) => m.metricName);
        expect(names(runs.lambda)).to.include("CacheHitRate");
        expect(names(runs.fargate)).to.include("RunningTaskCount");
    });

    it("cdnAdditionalMetrics false: no monitoring subscription, and no widget on the cache hit rate it would publish", () => {
        const run = runs["without CloudFront's additional metrics"];
        expect(run.ofType("aws:cloudfront/monitoringSubscription:MonitoringSubscription")).to.deep.equal([]);
        expect(stackMetrics(run).map((m) => m.metricName)).to.not.include("CacheHitRate");
    });
});
