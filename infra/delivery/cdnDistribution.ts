import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    IMMUTABLE_MAX_AGE_SECONDS,
    ORIGINAL_KEYS_PATTERN,
    sizeKeysPattern,
    VARIANT_KEYS_PATTERN,
} from "../../functions/shared/bucketLayout";
import { CDN_CORS, CDN_HSTS_MAX_AGE_SECONDS, cdnCorsAllowHeaders } from "../../functions/shared/cdnResponseHeaders";
import { CACHE_TAG_HEADER } from "../../functions/shared/cacheTag";
import { AUTO_FORMAT_VARY, EDGE_FUNCTION_RUNTIME, edgeFunctionCode } from "../../functions/edge/edgeFunction";
import { FailoverOrigin, OriginTiming } from "./failoverOrigins";

export interface CdnDistributionArgs {
    bucketRegionalDomainName: pulumi.Input<string>;
    /** Origins allowed to read images with CORS (fetch, canvas, crossorigin <img>). */
    corsOrigins: pulumi.Input<pulumi.Input<string>[]>;
    corsAllowCredentials?: pulumi.Input<boolean>;
    priceClass: pulumi.Input<string>;
    /** Custom host names; require certificateArn (ACM, us-east-1). */
    domainNames?: pulumi.Input<pulumi.Input<string>[]>;
    certificateArn?: pulumi.Input<string>;
    /** Variant formats besides the original's (config `formats`), and whether a CloudFront Function picks one from
     *  each request's Accept header (config `autoFormat`). Absent: variants in their original's format only. */
    variantFormats?: { formats: string[]; autoFormat: boolean };
    /** privateDelivery: the key groups (infra/delivery/urlSigningKey.ts) every behaviour then trusts, so each
     *  original and variant needs a signed URL or signed cookies. Absent: images are public. */
    trustedKeyGroups?: pulumi.Input<string>[];
    /** The Resizer: CloudFront fails over to it (infra/resize/resizerOrigin.ts makes it) when the bucket has no
     *  such variant. */
    resizer: OriginTiming & {
        origin: FailoverOrigin;
        /** Sizes that get a cache behaviour to the Resizer; empty means any size (one `*x*` behaviour). */
        allowedResolutions: string[];
    };
}

const BUCKET_ORIGIN_ID = "images-bucket";
const RESIZER_ORIGIN_ID = "resizer";
const VARIANT_ORIGIN_GROUP_ID = "variants";
/** S3 behind OAC answers 403 for a missing key (no s3:ListBucket), 404 otherwise. */
export const FAILOVER_STATUS_CODES = [403, 404];
/**
 * CloudFront caches 4xx/5xx for 10 s unless told otherwise, and honours `Cache-Control: no-store` on errors only
 * for 404, 410, 414 and 501; a variant missing now exists a second later, and a timed-out resize may succeed on
 * retry, so these are not cached at all. No response page or status rewrite: the origin group's failover must
 * still see the origin's own 403/404.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/custom-error-pages-expiration.html
 */
export const UNCACHED_ERROR_CODES = [400, 403, 404, 405, 414, 500, 501, 502, 503, 504];

/**
 * The path patterns that reach the Resizer (through the origin group): one per allowed size, or `*x*` when any
 * size is allowed. CloudFront patterns match the whole path, `*` = any run of characters (also `/`), `?` = one,
 * case-sensitive, first listed behaviour wins:
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern
 */
export function variantPathPatterns(allowedResolutions: string[], withFormats = false): string[] {
    if (allowedResolutions.length === 0) return [VARIANT_KEYS_PATTERN]; // `*x*` also spans "<W>x<H>/<format>"
    // With formats, "<W>x<H>/*uploads/*" also takes the explicit "<W>x<H>/<format>/uploads/..." paths in the same
    // behaviour (one per size: the 73-size limit stands). A path with another segment there reaches the Resizer,
    // which refuses it (400 malformed key; 403 for a format not enabled).
    return allowedResolutions.map((size) =>
        withFormats ? `${size}/*${ORIGINAL_KEYS_PATTERN}` : sizeKeysPattern(size),
    );
}

/**
 * CloudFront in front of the private bucket, reading it through Origin Access Control (the bucket's policy lets
 * exactly this distribution read: ImageBucket.allowDistributionToRead), failing over to the Resizer for variants.
 */
export class CdnDistribution extends pulumi.ComponentResource {
    public readonly distributionId: pulumi.Output<string>;
    public readonly distributionArn: pulumi.Output<string>;
    public readonly domainName: pulumi.Output<string>;
    /** https://<domain>, without a trailing slash: the first custom domain when given. */
    public readonly url: pulumi.Output<string>;
    /** The component's name, which its children's names start with. */
    public readonly resourceName: string;

    constructor(name: string, args: CdnDistributionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-pipeline:delivery:CdnDistribution", name, {}, opts);
        this.resourceName = name;
        const parent = { parent: this };

        const bucketAccess = new aws.cloudfront.OriginAccessControl(
            `${name}-bucket-oac`,
            {
                description: "Signs CloudFront's requests to the private image bucket",
                originAccessControlOriginType: "s3",
                signingBehavior: "always",
                signingProtocol: "sigv4",
            },
            parent,
        );

        const cachePolicy = new aws.cloudfront.CachePolicy(
            `${name}-immutable`,
            {
                comment: "Immutable image keys: long TTLs, nothing but the path in the cache key",
                minTtl: 0, // so an origin's `Cache-Control: no-store` (error answers) is honoured
                defaultTtl: IMMUTABLE_MAX_AGE_SECONDS,
                maxTtl: IMMUTABLE_MAX_AGE_SECONDS,
                parametersInCacheKeyAndForwardedToOrigin: {
                    cookiesConfig: { cookieBehavior: "none" },
                    headersConfig: { headerBehavior: "none" },
                    queryStringsConfig: { queryStringBehavior: "none" },
                    enableAcceptEncodingGzip: true,
                    enableAcceptEncodingBrotli: true,
                },
            },
            parent,
        );

        const responseHeadersArgs: aws.cloudfront.ResponseHeadersPolicyArgs = {
            comment: "CORS reads for the configured origins; nosniff",
            corsConfig: {
                accessControlAllowCredentials: args.corsAllowCredentials ?? false,
                accessControlAllowOrigins: { items: args.corsOrigins },
                accessControlAllowMethods: { items: [...CDN_CORS.allowMethods] },
                // With credentials CloudFront refuses `*` here: the headers are then named (cdnResponseHeaders.ts).
                accessControlAllowHeaders: {
                    items: pulumi.output(args.corsAllowCredentials ?? false).apply(cdnCorsAllowHeaders),
                },
                accessControlExposeHeaders: { items: [...CDN_CORS.exposeHeaders] },
                accessControlMaxAgeSec: CDN_CORS.maxAgeSeconds,
                originOverride: true,
            },
            securityHeadersConfig: {
                contentTypeOptions: { override: true },
                strictTransportSecurity: { accessControlMaxAgeSec: CDN_HSTS_MAX_AGE_SECONDS, override: true },
            },
        };
        const responseHeaders = new aws.cloudfront.ResponseHeadersPolicy(
            `${name}-headers`,
            responseHeadersArgs,
            parent,
        );

        // Format by Accept: the function rewrites a variant's URI to its format's key (functions/edge/), so the cache
        // key stays the URI alone (no header in it: the cache policy above) and responses say `Vary: Accept`, added
        // by a response-headers policy of their own (overriding the origin's Vary, which never names Accept):
        // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/modifying-response-headers.html
        const formats = args.variantFormats?.formats ?? [];
        const autoFormat = (args.variantFormats?.autoFormat ?? false) && formats.length > 0;
        const chooseFormat =
            autoFormat &&
            new aws.cloudfront.Function(
                `${name}-choose-format`,
                {
                    comment: "Picks a variant's format (avif, webp or the original's) from the Accept header",
                    runtime: EDGE_FUNCTION_RUNTIME,
                    publish: true,
                    code: edgeFunctionCode(formats),
                },
                parent,
            );
        const variantResponseHeaders =
            autoFormat &&
            new aws.cloudfront.ResponseHeadersPolicy(
                `${name}-variant-headers`,
                {
                    ...responseHeadersArgs,
                    comment: "As the images' policy, plus Vary: Accept (the format depends on it)",
                    customHeadersConfig: { items: [{ header: "Vary", value: AUTO_FORMAT_VARY, override: true }] },
                },
                parent,
            );

        const cdn = { name, parent: this };
        const resizerOrigin = args.resizer.origin.origin(cdn, RESIZER_ORIGIN_ID, args.resizer);
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
            // Every behaviour, the default one too (it reaches the bucket, where variants of sizes since removed
            // may remain): a signature is checked on the URI the viewer sent, before the format function runs.
            // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-trusted-signers.html
            ...(args.trustedKeyGroups ? { trustedKeyGroups: args.trustedKeyGroups } : {}),
        };

        const customDomain = pulumi.output(args.domainNames ?? []).apply((names) => names.length > 0);
        const distribution = new aws.cloudfront.Distribution(
            `${name}-distribution`,
            {
                enabled: true,
                comment: "image-pipeline",
                httpVersion: "http2and3",
                isIpv6Enabled: true,
                priceClass: args.priceClass,
                aliases: args.domainNames,
                // Every object of an image carries its tag in this header (S3 metadata; the Resizer's answers), so
                // cleanup invalidates a whole image with one `#<tag>` item:
                // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-by-tags.html
                // Viewers get the header as well: the tag is the original's key, already in every URL of the image, so
                // no response-headers policy removes it (it leaks nothing, and shows an operator what CloudFront stored).
                cacheTagConfig: { headerName: CACHE_TAG_HEADER },
                origins: [bucketOrigin, resizerOrigin],
                // Variants: the bucket first; on 403/404 the Resizer makes the variant, stores and returns it.
                originGroups: [
                    {
                        originId: VARIANT_ORIGIN_GROUP_ID,
                        failoverCriteria: { statusCodes: FAILOVER_STATUS_CODES },
                        members: [{ originId: BUCKET_ORIGIN_ID }, { originId: RESIZER_ORIGIN_ID }],
                    },
                ],
                // Only variant paths may reach the Resizer: /favicon.ico, bots and typos get the bucket's answer.
                defaultCacheBehavior: { ...cacheBehavior, targetOriginId: BUCKET_ORIGIN_ID },
                // Originals first: the variant pattern also matches e.g. uploads/x/uploads/a.jpg, which is an original's
                // path and must never invoke the Resizer (the first matching behaviour wins).
                orderedCacheBehaviors: [
                    { ...cacheBehavior, pathPattern: ORIGINAL_KEYS_PATTERN, targetOriginId: BUCKET_ORIGIN_ID },
                    ...variantPathPatterns(args.resizer.allowedResolutions, formats.length > 0).map((pathPattern) => ({
                        ...cacheBehavior,
                        pathPattern,
                        targetOriginId: VARIANT_ORIGIN_GROUP_ID,
                        ...(chooseFormat && variantResponseHeaders
                            ? {
                                  responseHeadersPolicyId: variantResponseHeaders.id,
                                  functionAssociations: [
                                      { eventType: "viewer-request", functionArn: chooseFormat.arn },
                                  ],
                              }
                            : {}),
                    })),
                ],
                customErrorResponses: UNCACHED_ERROR_CODES.map((errorCode) => ({ errorCode, errorCachingMinTtl: 0 })),
                restrictions: { geoRestriction: { restrictionType: "none" } },
                viewerCertificate: pulumi.all([customDomain, args.certificateArn]).apply(([custom, certificateArn]) =>
                    custom
                        ? {
                              acmCertificateArn: certificateArn,
                              sslSupportMethod: "sni-only",
                              minimumProtocolVersion: "TLSv1.2_2021",
                          }
                        : { cloudfrontDefaultCertificate: true },
                ),
            },
            parent,
        );

        args.resizer.origin.allowDistribution(cdn, distribution.arn);

        this.distributionId = distribution.id;
        this.distributionArn = distribution.arn;
        this.domainName = distribution.domainName;
        this.url = pulumi
            .all([args.domainNames ?? [], distribution.domainName])
            .apply(([names, domainName]) => `https://${names[0] ?? domainName}`);
        this.registerOutputs({
            distributionId: this.distributionId,
            distributionArn: this.distributionArn,
            domainName: this.domainName,
            url: this.url,
        });
    }
}
