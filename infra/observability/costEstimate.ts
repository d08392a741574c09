// The dashboard's estimated-cost widgets, as AWS's Dynamic Image Transformation solution has: metric math over the
// measured counts times list prices. An estimate: us-east-1 on-demand list prices of the first tier, no free tier,
// no Savings Plans, and not S3 storage and requests, KMS, NAT or CloudWatch itself. The prices, checked on:
// - Lambda https://aws.amazon.com/lambda/pricing/ ($0.20 per million requests; per GB-second $0.0000166667 x86,
//   $0.0000133334 Arm);
// - HTTP APIs https://aws.amazon.com/api-gateway/pricing/ ($1.00 per million requests);
// - CloudFront https://aws.amazon.com/cloudfront/pricing/ (United States: $0.085 per GB out, first 10 TB; HTTPS
//   $0.0100 per 10,000 requests);
// - Fargate https://aws.amazon.com/fargate/pricing/ (Linux/x86 $0.04048 per vCPU-hour, $0.004445 per GB-hour;
//   Linux/ARM $0.03238, $0.00356).
import * as pulumi from "@pulumi/pulumi";
import { awsMetric, cloudFrontMetric, lambdaMetric, MetricRef, widgetMetric } from "./metricDefinitions";
import type { WatchedPipeline } from "./watchedPipeline";

/** One hour: the cost widgets show USD per hour. */
export const COST_PERIOD_SECONDS = 3600;

export const PRICES_USD = {
    lambdaPerRequest: 0.2 / 1e6,
    lambdaPerGbSecond: { x86_64: 0.0000166667, arm64: 0.0000133334 },
    httpApiPerRequest: 1.0 / 1e6,
    cloudFrontPerGbOut: 0.085,
    cloudFrontPerHttpsRequest: 0.01 / 10_000,
    fargatePerVcpuHour: { x86_64: 0.04048, arm64: 0.03238 },
    fargatePerGbHour: { x86_64: 0.004445, arm64: 0.00356 },
} as const;

export const COST_LABEL = "estimate (USD/hour, us-east-1 list prices; see docs/operations.md)";

/** A metric math line, summed over the period, hidden: the cost expressions read it. */
const hidden = (id: string, metric: MetricRef) =>
    widgetMetric(metric, { id, stat: "Sum", visible: false, period: COST_PERIOD_SECONDS });

/** The stack-region cost: every Lambda (requests and GB-seconds), the HTTP API, the Fargate tasks. */
export function regionalCostMetrics(watched: WatchedPipeline): pulumi.Output<unknown[]>[] {
    const lines: pulumi.Output<unknown[]>[] = [];
    const terms: string[] = [];
    watched.functions.forEach((fn, i) => {
        lines.push(hidden(`inv${i}`, lambdaMetric("Invocations", fn.functionName)));
        lines.push(hidden(`dur${i}`, lambdaMetric("Duration", fn.functionName)));
        const gbSecondPrice = PRICES_USD.lambdaPerGbSecond[fn.architecture];
        terms.push(`FILL(inv${i},0)*${PRICES_USD.lambdaPerRequest}`);
        terms.push(`FILL(dur${i},0)/1000*${fn.memoryMb / 1024}*${gbSecondPrice}`);
    });
    lines.push(hidden("api", awsMetric("AWS/ApiGateway", "Count", { ApiId: watched.apiId })));
    terms.push(`FILL(api,0)*${PRICES_USD.httpApiPerRequest}`);
    if (watched.resizer.runtime === "fargate") {
        const fargate = watched.resizer;
        const tasks = awsMetric("ECS/ContainerInsights", "RunningTaskCount", {
            ClusterName: watched.resizer.clusterName,
            ServiceName: watched.resizer.serviceName,
        });
        lines.push(widgetMetric(tasks, { id: "tasks", stat: "Average", visible: false, period: COST_PERIOD_SECONDS }));
        const perTaskHour =
            fargate.taskVcpu * PRICES_USD.fargatePerVcpuHour[fargate.architecture] +
            (fargate.taskMemoryMb / 1024) * PRICES_USD.fargatePerGbHour[fargate.architecture];
        terms.push(`FILL(tasks,0)*${perTaskHour}`);
    }
    lines.push(
        pulumi.output([{ expression: terms.join("+"), label: `Lambda + API + Fargate ${COST_LABEL}`, id: "cost" }]),
    );
    return lines;
}

/** CloudFront's cost (its metrics are us-east-1's): bytes out and HTTPS requests. */
export function cdnCostMetrics(distributionId: pulumi.Input<string>): pulumi.Output<unknown[]>[] {
    const gb = 1024 ** 3;
    return [
        hidden("bytes", cloudFrontMetric("BytesDownloaded", distributionId)),
        hidden("requests", cloudFrontMetric("Requests", distributionId)),
        pulumi.output([
            {
                expression: `FILL(bytes,0)/${gb}*${PRICES_USD.cloudFrontPerGbOut}+FILL(requests,0)*${PRICES_USD.cloudFrontPerHttpsRequest}`,
                label: `CloudFront ${COST_LABEL}`,
                id: "cost",
            },
        ]),
    ];
}
