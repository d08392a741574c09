// The limits the config is checked against: AWS's hard limits and default quotas (each with its page), and the
// pipeline's own bounds where AWS's are looser than what keeps the pipeline safe.

/** HTTP APIs give up on an integration after 30 s, a hard limit (REST APIs may raise theirs; HTTP APIs may not):
 *  https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html */
export const HTTP_API_MAX_INTEGRATION_TIMEOUT_SECONDS = 30;
/** CloudFront's default quota for an origin's response (read) timeout: 1–60 s.
 *  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html */
export const CLOUDFRONT_MAX_ORIGIN_READ_TIMEOUT_SECONDS = 60;
/** 75 cache behaviours per distribution (default quota, same page); the stack uses one for the default and one
 *  for originals, so at most 73 sizes get a behaviour each. */
export const MAX_ALLOWED_RESOLUTIONS = 73;
/** Eager variants are rendered one after another inside one ingest invocation (60 s timeout): about 0.2–0.8 s
 *  each for an 18 MP photo (issue 14's measurements), so ten stay far from it. */
export const MAX_EAGER_RESOLUTIONS = 10;

/**
 * A presigned URL stops working when the credentials that signed it expire, whatever X-Amz-Expires says
 * (https://repost.aws/knowledge-center/presigned-url-s3-bucket-expiration), and a Lambda execution role's
 * credentials "don't necessarily comply with the role's session duration settings" (same page): their remaining
 * lifetime at signing time is not documented. 15 minutes is the shortest session STS issues
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html, DurationSeconds minimum 900), so no
 * longer expiry is offered than any role session is made to last.
 */
export const MAX_UPLOAD_EXPIRES_IN = 900;

/**
 * A signed image URL (privateDelivery) lives 1 minute to 1 day. CloudFront itself takes any expiry, even years
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-urls.html, "Choose
 * how long signed URLs are valid"), but a URL is a bearer credential: one copied into a log, a referrer or a
 * screenshot keeps working until it expires, so the pipeline bounds how long that can be. Under a minute, a page
 * would spend its URLs before the browser fetched them.
 */
export const MIN_SIGNED_URL_EXPIRES_IN = 60;
export const MAX_SIGNED_URL_EXPIRES_IN = 86_400;
