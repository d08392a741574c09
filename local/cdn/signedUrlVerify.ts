// Local mode with privateDelivery: the local CDN asks for a signature exactly where CloudFront would (every image
// behaviour trusts the key group) and checks it as CloudFront does, before the format function runs and before
// the cache or the bucket is asked (functions/edge/ rewrites only a request that passed; docs/private-images.md).
// A signed URL: a canned policy (Expires) or a custom one (Policy), Signature, Key-Pair-Id, and Hash-Algorithm=
// SHA256 or SHA-1 by default; without any of those in the URL, the same four as signed cookies. A refusal is
// CloudFront's own: 403 with its XML error.
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-urls.html
import type { KeyObject } from "crypto";
import {
    cannedPolicy,
    fromCloudFrontBase64,
    SHA256_HASH_ALGORITHM,
    SIGNED_COOKIE_NAMES,
    SIGNED_URL_PARAMS,
    SIGNING_PARAM_NAMES,
    textOfBase64,
} from "../../functions/shared/cloudfrontPolicy";
import { PolicyHash, policySignatureMatches } from "../../functions/shared/cloudfrontSignature";
import type { HttpResult } from "../../functions/shared/http";
import { parsePolicyStatement, PolicyStatement, statementAllows } from "./policyStatement";

/**
 * CloudFront's refusals, each 403 with an XML body `<Error><Code>…</Code><Message>…</Message></Error>`. The
 * messages of a missing and an unknown key are AWS's (https://repost.aws/knowledge-center/cloudfront-troubleshoot-signed-url-cookies);
 * the codes, and the others, are what CloudFront answers as its users record them (MalformedPolicy in
 * https://github.com/aws/aws-sdk-js/issues/2236). Expired, tampered, for another URL, time or address: AccessDenied.
 */
export const CLOUDFRONT_REFUSALS = {
    missingKey: { code: "MissingKey", message: "Missing Key-Pair-Id query parameter or cookie value" },
    unknownKey: { code: "InvalidKey", message: "Unknown Key" },
    malformedSignature: { code: "MalformedSignature", message: "Could not unencode Signature" },
    malformedPolicy: { code: "MalformedPolicy", message: "Malformed Policy" },
    accessDenied: { code: "AccessDenied", message: "Access denied" },
} as const;
export type CloudFrontRefusal = (typeof CLOUDFRONT_REFUSALS)[keyof typeof CLOUDFRONT_REFUSALS];

export interface SignedRequest {
    /** The URL the viewer asked for, as sent: scheme, Host, path and the whole query string. */
    url: string;
    /** The Cookie header, if any. */
    cookie?: string;
    sourceIp: string;
}

/** The public keys a distribution trusts, by ID (its key groups). */
export type TrustedKeys = ReadonlyMap<string, KeyObject>;

interface Credentials {
    expires?: string;
    policy?: string;
    signature?: string;
    keyPairId?: string;
    hashAlgorithm?: string;
}

/** Why CloudFront would refuse this request to a behaviour that trusts these keys; undefined when it would not. */
export function signedRequestRefusal(
    request: SignedRequest,
    keys: TrustedKeys,
    nowMs: number,
): CloudFrontRefusal | undefined {
    const { resourceUrl, fromUrl } = splitSigningParams(request.url);
    // A URL carrying any signing parameter is a signed URL: the cookies are then not looked at.
    const credentials = fromUrl ?? fromCookies(request.cookie);
    if (!credentials.keyPairId) return CLOUDFRONT_REFUSALS.missingKey;
    const key = keys.get(credentials.keyPairId);
    if (!key) return CLOUDFRONT_REFUSALS.unknownKey;
    if (!credentials.signature || fromCloudFrontBase64(credentials.signature) === undefined)
        return CLOUDFRONT_REFUSALS.malformedSignature;
    const hash = hashOf(credentials.hashAlgorithm);
    if (!hash) return CLOUDFRONT_REFUSALS.accessDenied;

    let policy: string;
    let statement: PolicyStatement | undefined;
    if (credentials.policy !== undefined) {
        const base64 = fromCloudFrontBase64(credentials.policy);
        const text = base64 === undefined ? undefined : textOfBase64(base64);
        statement = text === undefined ? undefined : parsePolicyStatement(text);
        if (text === undefined || !statement) return CLOUDFRONT_REFUSALS.malformedPolicy;
        policy = text;
    } else if (credentials.expires !== undefined && /^\d{1,10}$/.test(credentials.expires)) {
        // A canned policy is rebuilt from the request (its URL without the signing parameters, and Expires), so
        // a signature for any other URL fails to match it: the Resource needs no other check.
        policy = cannedPolicy(resourceUrl, Number(credentials.expires));
        statement = { dateLessThan: Number(credentials.expires) };
    } else {
        return CLOUDFRONT_REFUSALS.malformedPolicy;
    }
    if (!policySignatureMatches(policy, credentials.signature, key, hash)) return CLOUDFRONT_REFUSALS.accessDenied;
    return statementAllows(statement, { url: resourceUrl, sourceIp: request.sourceIp, nowMs })
        ? undefined
        : CLOUDFRONT_REFUSALS.accessDenied;
}

/** The refusal as CloudFront sends it. */
export function refusalResult(refusal: CloudFrontRefusal): HttpResult {
    return {
        statusCode: 403,
        headers: { "content-type": "text/xml", "x-cache": "Error from cloudfront" },
        body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`,
    };
}

/** The URL without its signing parameters (the policy's Resource: the viewer's own parameters stay, in order),
 *  and those parameters when there is any. */
function splitSigningParams(url: string): { resourceUrl: string; fromUrl?: Credentials } {
    const queryAt = url.indexOf("?");
    if (queryAt < 0) return { resourceUrl: url };
    const kept: string[] = [];
    const found = new Map<string, string>();
    for (const pair of url.slice(queryAt + 1).split("&")) {
        const name = pair.split("=", 1)[0];
        if (SIGNING_PARAM_NAMES.includes(name)) found.set(name, decoded(pair.slice(name.length + 1)));
        else if (pair !== "") kept.push(pair);
    }
    const resourceUrl = `${url.slice(0, queryAt)}${kept.length > 0 ? `?${kept.join("&")}` : ""}`;
    if (found.size === 0) return { resourceUrl };
    return {
        resourceUrl,
        fromUrl: {
            expires: found.get(SIGNED_URL_PARAMS.expires),
            policy: found.get(SIGNED_URL_PARAMS.policy),
            signature: found.get(SIGNED_URL_PARAMS.signature),
            keyPairId: found.get(SIGNED_URL_PARAMS.keyPairId),
            hashAlgorithm: found.get(SIGNED_URL_PARAMS.hashAlgorithm),
        },
    };
}

function fromCookies(header: string | undefined): Credentials {
    const cookies = new Map<string, string>();
    for (const part of (header ?? "").split(";")) {
        const at = part.indexOf("=");
        if (at > 0) cookies.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
    }
    return {
        expires: cookies.get(SIGNED_COOKIE_NAMES.expires),
        policy: cookies.get(SIGNED_COOKIE_NAMES.policy),
        signature: cookies.get(SIGNED_COOKIE_NAMES.signature),
        keyPairId: cookies.get(SIGNED_COOKIE_NAMES.keyPairId),
    };
}

/** SHA-1 without Hash-Algorithm, SHA-256 with Hash-Algorithm=SHA256; undefined for anything else. */
function hashOf(hashAlgorithm: string | undefined): PolicyHash | undefined {
    if (hashAlgorithm === undefined) return "sha1";
    return hashAlgorithm === SHA256_HASH_ALGORITHM ? "sha256" : undefined;
}

/** A query value as sent, percent-decoded when it is valid percent-encoding (~ may arrive as %7E). */
function decoded(value: string): string {
    try {
        return decodeURIComponent(value);
    } catch {
        return value;
    }
}
