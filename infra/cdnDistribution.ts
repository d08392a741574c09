import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { imageBucketPolicyDocument } from "./bucketPolicy";
import { CDN_CORS, CDN_HSTS_MAX_AGE_SECONDS } from "./cdnResponseHeaders";

export interface CdnDistributionArgs {
    bucketName: pulumi.Input<string>;
    bucketArn: pulumi.Input<string>;
    bucketRegionalDomainName: pulumi.Input<string>;
    /** Origins allowed to read images with CORS (fetch, canvas, crossorigin <img>). */
    corsOrigins: pulumi.Input<pulumi.Input<string>[]>;
    corsAllowCredentials?: pulumi.Input<boolean>;
    priceClass: pulumi.Input<string>;
    /** Custom host names; require certificateArn (ACM, us-east-1). */
    domainNames?: pulumi.Input<pulumi.Input<string>[]>;
    certificateArn?: pulumi.Input<string>;
    /** The Resizer: CloudFront fails over to its Function URL when the bucket has no such variant. */
    resizer?: { functionName: pulumi.Input<string>; functionUrl: pulumi.Input<string> };
}

/** Keys are immutable (a new upload gets a new key), so objects may be cached for a year. */
export const IMMUTABLE_TTL_SECONDS = 31_536_000;
const BUCKET_ORIGIN_ID = "images-bucket";
const RESIZER_ORIGIN_ID = "resizer";
const VARIANT_ORIGIN_GROUP_ID = "variants";
/** S3 behind OAC answers 403 for a missing key (no s3:ListBucket), 404 otherwise. */
export const FAILOVER_STATUS_CODES = [403, 404];

/**
 * CloudFront in front of the private bucket, reading it through Origin Access Control. Also composes the
 * bucket's single policy, since only this component knows the distribution ARN it must be scoped to.
 */
export class CdnDistribution extends pulumi.ComponentResource {
    public readonly distributionId: pulumi.Output<string>;
    public readonly distributionArn: pulumi.Output<string>;
    public readonly domainName: pulumi.Output<string>;
    /** https://<domain>, without a trailing slash: the first custom domain when given. */
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: CdnDistributionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:delivery:CdnDistribution", name, {}, opts);
        const parent = { parent: this };

        const bucketAccess = new aws.cloudfront.OriginAccessControl(`${name}-bucket-oac`, {
            description: "Signs CloudFront's requests to the private image bucket",
            originAccessControlOriginType: "s3",
            signingBehavior: "always",
            signingProtocol: "sigv4",
        }, parent);

        const cachePolicy = new aws.cloudfront.CachePolicy(`${name}-immutable`, {
            comment: "Immutable image keys: long TTLs, nothing but the path in the cache key",
            minTtl: 0, // so an origin's `Cache-Control: no-store` (error answers) is honoured
            defaultTtl: IMMUTABLE_TTL_SECONDS,
            maxTtl: IMMUTABLE_TTL_SECONDS,
            parametersInCacheKeyAndForwardedToOrigin: {
                cookiesConfig: { cookieBehavior: "none" },
                headersConfig: { headerBehavior: "none" },
                queryStringsConfig: { queryStringBehavior: "none" },
                enableAcceptEncodingGzip: true,
                enableAcceptEncodingBrotli: true,
            },
        }, parent);

        const responseHeaders = new aws.cloudfront.ResponseHeadersPolicy(`${name}-headers`, {
            comment: "CORS reads for the configured origins; nosniff",
            corsConfig: {
                accessControlAllowCredentials: args.corsAllowCredentials ?? false,
                accessControlAllowOrigins: { items: args.corsOrigins },
                accessControlAllowMethods: { items: [...CDN_CORS.allowMethods] },
                accessControlAllowHeaders: { items: [...CDN_CORS.allowHeaders] },
                accessControlExposeHeaders: { items: [...CDN_CORS.exposeHeaders] },
                accessControlMaxAgeSec: CDN_CORS.maxAgeSeconds,
                originOverride: true,
            },
            securityHeadersConfig: {
                contentTypeOptions: { override: true },
                strictTransportSecurity: { accessControlMaxAgeSec: CDN_HSTS_MAX_AGE_SECONDS, override: true },
            },
        }, parent);

        const resizer = args.resizer && {
            ...args.resizer,
            access: new aws.cloudfront.OriginAccessControl(`${name}-resizer-oac`, {
                description: "Signs CloudFront's requests to the Resizer's Function URL",
                originAccessControlOriginType: "lambda",
                signingBehavior: "always",
                signingProtocol: "sigv4",
            }, parent),
        };
        const bucketOrigin = {
            originId: BUCKET_ORIGIN_ID,
            domainName: args.bucketRegionalDomainName,
            originAccessControlId: bucketAccess.id,
        };
        const cacheBehavior = {
            viewerProtocolPolicy: "redirect-to-https",
            allowedMethods: ["GET", "HEAD", "OPTIONS"],
            cachedMethods: ["GET", "HEAD"],
            compress: true,
            cachePolicyId: cachePolicy.id,
            responseHeadersPolicyId: responseHeaders.id,
        };

        const customDomain = pulumi.output(args.domainNames ?? []).apply((names) => names.length > 0);
        const distribution = new aws.cloudfront.Distribution(`${name}-distribution`, {
            enabled: true,
            comment: "image-pipeline",
            httpVersion: "http2and3",
            isIpv6Enabled: true,
            priceClass: args.priceClass,
            aliases: args.domainNames,
            origins: resizer ? [bucketOrigin, {
                originId: RESIZER_ORIGIN_ID,
                domainName: pulumi.output(resizer.functionUrl).apply((url) => new URL(url).host),
                originAccessControlId: resizer.access.id,
                customOriginConfig: {
                    httpPort: 80,
                    httpsPort: 443,
                    originProtocolPolicy: "https-only",
                    originSslProtocols: ["TLSv1.2"],
                },
            }] : [bucketOrigin],
            // Variants: the bucket first; on 403/404 the Resizer makes the variant, stores and returns it.
            originGroups: resizer ? [{
                originId: VARIANT_ORIGIN_GROUP_ID,
                failoverCriteria: { statusCodes: FAILOVER_STATUS_CODES },
                members: [{ originId: BUCKET_ORIGIN_ID }, { originId: RESIZER_ORIGIN_ID }],
            }] : undefined,
            defaultCacheBehavior: { ...cacheBehavior, targetOriginId: resizer ? VARIANT_ORIGIN_GROUP_ID : BUCKET_ORIGIN_ID },
            // Originals never go to the Resizer: a missing original is the bucket's answer.
            orderedCacheBehaviors: resizer ? [{ ...cacheBehavior, pathPattern: "uploads/*", targetOriginId: BUCKET_ORIGIN_ID }] : undefined,
            restrictions: { geoRestriction: { restrictionType: "none" } },
            viewerCertificate: pulumi.all([customDomain, args.certificateArn]).apply(([custom, certificateArn]) =>
                custom
                    ? { acmCertificateArn: certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" }
                    : { cloudfrontDefaultCertificate: true }),
        }, parent);

        if (resizer) {
            // CloudFront needs both: InvokeFunctionUrl for the URL, InvokeFunction (only via the URL) since 2025.
            new aws.lambda.Permission(`${name}-invoke-resizer-url`, {
                function: resizer.functionName,
                action: "lambda:InvokeFunctionUrl",
                principal: "cloudfront.amazonaws.com",
                sourceArn: distribution.arn,
                functionUrlAuthType: "AWS_IAM",
            }, parent);
            new aws.lambda.Permission(`${name}-invoke-resizer`, {
                function: resizer.functionName,
                action: "lambda:InvokeFunction",
                principal: "cloudfront.amazonaws.com",
                sourceArn: distribution.arn,
                invokedViaFunctionUrl: true,
            }, parent);
        }

        new aws.s3.BucketPolicy(`${name}-bucket-policy`, {
            bucket: args.bucketName,
            policy: imageBucketPolicyDocument(args.bucketArn, distribution.arn),
        }, parent);

        this.distributionId = distribution.id;
        this.distributionArn = distribution.arn;
        this.domainName = distribution.domainName;
        this.url = pulumi.all([args.domainNames ?? [], distribution.domainName]).apply(
            ([names, domainName]) => `https://${names[0] ?? domainName}`);
        this.registerOutputs({
            distributionId: this.distributionId,
            distributionArn: this.distributionArn,
            domainName: this.domainName,
            url: this.url,
        });
    }
}
