// The Access-Control-Allow-Origin S3 answers a successful preflight with: "*" when the matching CORS rule allows
// every origin, else the request's own origin (s3rver always answers "*").
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html#cors-allowed-origin
import { GetBucketCorsCommand, S3Client } from "@aws-sdk/client-s3";

function originMatches(pattern: string, origin: string): boolean {
    // An AllowedOrigin may hold one "*" wildcard.
    const [head, ...rest] = pattern.split("*");
    if (rest.length === 0) return pattern === origin;
    const tail = rest.join("*");
    return origin.length >= head.length + tail.length && origin.startsWith(head) && origin.endsWith(tail);
}

export async function preflightAllowOrigin(
    s3: S3Client,
    bucket: string,
    origin: string,
    method: string,
): Promise<string> {
    const { CORSRules = [] } = await s3.send(new GetBucketCorsCommand({ Bucket: bucket }));
    const rule = CORSRules.find(
        (r) =>
            (r.AllowedMethods ?? []).includes(method) && (r.AllowedOrigins ?? []).some((p) => originMatches(p, origin)),
    );
    return rule?.AllowedOrigins?.includes("*") ? "*" : origin;
}
