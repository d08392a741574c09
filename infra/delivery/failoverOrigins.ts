// The Resizer as CloudFront's failover origin: the one shape CdnDistribution asks of it (FailoverOrigin), and
// its two forms, a Lambda Function URL and (fargate) an internal ALB behind a VPC origin. What each needs on
// CloudFront's side (an Origin Access Control and invoke permissions; a VPC origin) is made here, as children of
// the CDN component named after it, so the distribution never asks which runtime it is talking to.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The CDN component the origin's resources belong to: they are its children, named `${name}-...`. */
export interface CdnComponent {
    name: string;
    parent: pulumi.Resource;
}

/** How long CloudFront waits for the Resizer, and how often it tries. */
export interface OriginTiming {
    /** Seconds CloudFront waits for the Resizer (1–60 under the default quota). */
    originReadTimeoutSeconds: pulumi.Input<number>;
    /** 1–3 (CloudFront's default is 3: three billed invocations for one slow resize). */
    connectionAttempts: pulumi.Input<number>;
}

export interface FailoverOrigin {
    /** The distribution's origin entry, id `originId`; what it needs made first is made here. */
    origin(cdn: CdnComponent, originId: string, timing: OriginTiming): aws.types.input.cloudfront.DistributionOrigin;
    /** What lets the distribution call the origin, once the distribution exists. */
    allowDistribution(cdn: CdnComponent, distributionArn: pulumi.Input<string>): void;
}

/**
 * The Resizer Lambda's Function URL (AWS_IAM auth), signed by a Lambda Origin Access Control:
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html
 */
export function functionUrlOrigin(resizer: {
    functionName: pulumi.Input<string>;
    functionUrl: pulumi.Input<string>;
}): FailoverOrigin {
    return {
        origin({ name, parent }, originId, timing) {
            const access = new aws.cloudfront.OriginAccessControl(
                `${name}-resizer-oac`,
                {
                    description: "Signs CloudFront's requests to the Resizer's Function URL",
                    originAccessControlOriginType: "lambda",
                    signingBehavior: "always",
                    signingProtocol: "sigv4",
                },
                { parent },
            );
            return {
                originId,
                domainName: pulumi.output(resizer.functionUrl).apply((url) => new URL(url).host),
                originAccessControlId: access.id,
                // Each attempt after a timeout is another billed invocation; the Lambda's own timeout is kept within
                // originReadTimeout by config, so CloudFront never gives up on a resize still running.
                connectionAttempts: timing.connectionAttempts,
                customOriginConfig: {
                    httpPort: 80,
                    httpsPort: 443,
                    originProtocolPolicy: "https-only",
                    originSslProtocols: ["TLSv1.2"],
                    originReadTimeout: timing.originReadTimeoutSeconds,
                },
            };
        },
        allowDistribution({ name, parent }, distributionArn) {
            // CloudFront needs both: InvokeFunctionUrl for the URL, InvokeFunction (only via the URL) since 2025.
            new aws.lambda.Permission(
                `${name}-invoke-resizer-url`,
                {
                    function: resizer.functionName,
                    action: "lambda:InvokeFunctionUrl",
                    principal: "cloudfront.amazonaws.com",
                    sourceArn: distributionArn,
                    functionUrlAuthType: "AWS_IAM",
                },
                { parent },
            );
            new aws.lambda.Permission(
                `${name}-invoke-resizer`,
                {
                    function: resizer.functionName,
                    action: "lambda:InvokeFunction",
                    principal: "cloudfront.amazonaws.com",
                    sourceArn: distributionArn,
                    invokedViaFunctionUrl: true,
                },
                { parent },
            );
        },
    };
}

/**
 * The fargate Resizer's internal ALB, reached through a CloudFront VPC origin: the ALB has no public address at
 * all (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html). Plain
 * HTTP: the traffic stays on AWS's network, and HTTPS would need a certificate for a domain of the ALB's own. The
 * same read timeout and connection attempts as the Lambda origin. Nothing to allow afterwards: the ALB's security
 * group admits CloudFront's origin-facing addresses only (infra/resize/resizerNetwork.ts).
 */
export function vpcOrigin(alb: {
    loadBalancerArn: pulumi.Input<string>;
    loadBalancerDnsName: pulumi.Input<string>;
    /** The ALB's HTTP listener port. */
    httpPort: number;
}): FailoverOrigin {
    return {
        origin({ name, parent }, originId, timing) {
            const vpcOrigin = new aws.cloudfront.VpcOrigin(
                `${name}-resizer-vpc-origin`,
                {
                    vpcOriginEndpointConfig: {
                        name: `${name}-resizer`,
                        arn: alb.loadBalancerArn,
                        httpPort: alb.httpPort,
                        httpsPort: 443,
                        originProtocolPolicy: "http-only",
                        originSslProtocols: { items: ["TLSv1.2"], quantity: 1 },
                    },
                },
                { parent },
            );
            return {
                originId,
                domainName: alb.loadBalancerDnsName,
                connectionAttempts: timing.connectionAttempts,
                vpcOriginConfig: { vpcOriginId: vpcOrigin.id, originReadTimeout: timing.originReadTimeoutSeconds },
            };
        },
        allowDistribution() {},
    };
}
