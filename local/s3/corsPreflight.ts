// The Access-Control-Allow-Origin S3 answers a successful preflight with: "*" when the matching CORS rule allows
// every origin, else the request's own origin (s3rver always answers "*"); and the gate's answer to a preflight.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html#cors-allowed-origin
import * as http from "http";
import { GetBucketCorsCommand, S3Client } from "@aws-sdk/client-s3";
import { forward } from "./gateForward";
import { bucketOf, Refuse } from "./gateRequest";
import { s3Failure } from "./s3Failure";

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

/**
 * OPTIONS is S3's CORS preflight, never signed (a presigned URL's query is not checked either): s3rver answers it
 * from the bucket's CORS rules, and one without Origin 400 as S3 does (s3rver answers these with 403). It reads
 * and writes no object. https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
 */
export async function answerPreflight(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    gate: { backend: S3Client; backendPort: number; rawPath: string; refuse: Refuse },
): Promise<void> {
    if (req.headers.origin === undefined)
        return gate.refuse(s3Failure(400, "BadRequest", "Insufficient information. Origin request header needed."));
    if (req.headers["access-control-request-method"] === undefined)
        return gate.refuse(s3Failure(400, "BadRequest", "Invalid Access-Control-Request-Method: null"));
    const origin = req.headers.origin,
        requested = String(req.headers["access-control-request-method"]);
    return forward(req, res, gate.backendPort, {}, async (status, headers) => {
        if (status === 200 && headers["access-control-allow-origin"] === "*") {
            headers["access-control-allow-origin"] = await preflightAllowOrigin(
                gate.backend,
                bucketOf(gate.rawPath),
                origin,
                requested,
            );
        }
    });
}
