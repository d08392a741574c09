// Local mode's stand-in for the HTTP API's JWT authorizer: the routes the stack puts behind it
// (functions/presign/apiRoutes.ts UPLOAD_ROUTES) check a JWT here the way API Gateway does, before the handler runs,
// and the handler gets the token's claims where API Gateway puts them (requestContext.authorizer.jwt.claims).
// API Gateway's steps (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html,
// "Authorizing API requests"): the identity source (the Authorization header) holds the token, alone or after
// "Bearer "; the signature is checked with the issuer's key named by the token's kid, RSA algorithms only; iss must
// be the issuer; aud, or client_id when there is no aud, one of the audiences
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-jwt.html); exp after now;
// nbf and iat, when present, not after now. No clock skew is allowed here: never laxer than AWS.
// A refusal is API Gateway's: 401 {"message":"Unauthorized"}, the reason in www-authenticate.
import { KeyObject, verify } from "crypto";
import type { HttpResult } from "../functions/shared/http";

export interface JwtAuthorizerConfig {
    issuer: string;
    audiences: string[];
    /** The issuer's public keys by kid (its JWKS). */
    keys: ReadonlyMap<string, KeyObject>;
    now: () => number;
}

export type JwtVerdict = { claims: Record<string, string> } | { denied: string };

/** JWS "alg" → the digest of its RSASSA-PKCS1-v1_5 signature (RFC 7518, 3.3). */
const RSA_ALGORITHMS: Record<string, string> = { RS256: "sha256", RS384: "sha384", RS512: "sha512" };

export function authorizeJwt(config: JwtAuthorizerConfig, authorization: string | undefined): JwtVerdict {
    if (!authorization) return { denied: "the token is missing" };
    const token = authorization.startsWith("Bearer ") ? authorization.slice("Bearer ".length).trim() : authorization;
    const parts = token.split(".");
    const header = parts.length === 3 ? decoded(parts[0]) : undefined;
    const payload = parts.length === 3 ? decoded(parts[1]) : undefined;
    if (!header || !payload) return { denied: "the token is not a JWT" };
    const digest = typeof header.alg === "string" ? RSA_ALGORITHMS[header.alg] : undefined;
    if (!digest) return { denied: "the token is not signed with an RSA algorithm" };
    const key = typeof header.kid === "string" ? config.keys.get(header.kid) : undefined;
    if (!key) return { denied: "no key of the issuer has the token's kid" };
    if (!verify(digest, Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], "base64url")))
        return { denied: "the token's signature is not valid" };
    if (payload.iss !== config.issuer) return { denied: "the token does not have a valid issuer" };
    const audiences = payload.aud !== undefined ? [payload.aud].flat() : [payload.client_id];
    if (!audiences.some((audience) => typeof audience === "string" && config.audiences.includes(audience)))
        return { denied: "the token does not have a valid audience" };
    const now = Math.floor(config.now() / 1000);
    if (typeof payload.exp !== "number" || payload.exp <= now) return { denied: "the token has expired" };
    if (payload.nbf !== undefined && !(typeof payload.nbf === "number" && payload.nbf <= now))
        return { denied: "the token is not valid yet" };
    if (payload.iat !== undefined && !(typeof payload.iat === "number" && payload.iat <= now))
        return { denied: "the token was issued in the future" };
    // API Gateway hands the claims on as strings.
    const claims = Object.fromEntries(
        Object.entries(payload).map(([name, value]) => [
            name,
            typeof value === "string" ? value : Array.isArray(value) ? `[${value.join(" ")}]` : JSON.stringify(value),
        ]),
    );
    return { claims };
}

/** API Gateway's answer when its JWT authorizer refuses a request. */
export function unauthorizedResult(reason: string): HttpResult {
    return {
        statusCode: 401,
        headers: {
            "content-type": "application/json",
            "www-authenticate": `Bearer scope="" error="invalid_token" error_description="${reason}"`,
        },
        body: JSON.stringify({ message: "Unauthorized" }),
    };
}

function decoded(part: string): Record<string, unknown> | undefined {
    try {
        const value = JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as unknown;
        return typeof value === "object" && value !== null && !Array.isArray(value)
            ? (value as Record<string, unknown>)
            : undefined;
    } catch {
        return undefined;
    }
}
