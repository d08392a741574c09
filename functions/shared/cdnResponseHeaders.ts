// The CDN's response-headers policy, as values: CloudFront gets them (infra/delivery/cdnDistribution.ts) and the local CDN
// emulation (local/cdn/cdn.ts) applies them, so both serve the same headers. No Pulumi import: local mode loads it.

/** CORS for reads from the configured origins (the request headers allowed: cdnCorsAllowHeaders). */
export const CDN_CORS = {
    allowMethods: ["GET", "HEAD"],
    exposeHeaders: ["ETag", "Content-Length"],
    maxAgeSeconds: 86400,
} as const;

/**
 * The request headers a credentialed read may send: a byte range and the conditional-request headers, the ones
 * CloudFront and S3 act on for a GET (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
 * With credentials `*` cannot stand for them: browsers then read `Access-Control-Allow-Headers: *` as a header
 * literally named "*" (https://fetch.spec.whatwg.org/#http-access-control-allow-headers), and CloudFront refuses
 * the policy ("The parameter Access-Control-Allow-Headers cannot contain * when allowCredentials is true";
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html).
 */
export const CDN_CREDENTIALED_ALLOW_HEADERS = [
    "Range",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
] as const;

/** Access-Control-Allow-Headers: any header without credentials, the named ones with them. */
export function cdnCorsAllowHeaders(allowCredentials: boolean): string[] {
    return allowCredentials ? [...CDN_CREDENTIALED_ALLOW_HEADERS] : ["*"];
}

/** Strict-Transport-Security max-age: one year. */
export const CDN_HSTS_MAX_AGE_SECONDS = 31_536_000;
