// The CDN's response-headers policy, as values: CloudFront gets them (infra/cdnDistribution.ts) and the local CDN
// emulation (local/cdn/cdn.ts) applies them, so both serve the same headers. No Pulumi import: local mode loads it.

/** CORS for reads from the configured origins. */
export const CDN_CORS = {
    allowMethods: ["GET", "HEAD"],
    allowHeaders: ["*"],
    exposeHeaders: ["ETag", "Content-Length"],
    maxAgeSeconds: 86400,
} as const;

/** Strict-Transport-Security max-age: one year. */
export const CDN_HSTS_MAX_AGE_SECONDS = 31_536_000;
