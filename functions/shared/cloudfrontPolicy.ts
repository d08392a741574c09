// CloudFront's signed URLs as data: the policy statement a signature covers (canned or custom), CloudFront's
// URL-safe base64, and the query parameters (or cookies) that carry them. Pure and browser-safe (no Node module):
// the presign function signs with it (functions/shared/cloudfrontSignature.ts), local mode's CDN verifies with it
// (local/cdn/signedUrlVerify.ts), and a client may read a signed URL's expiry with it.
// Canned: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-canned-policy.html
// Custom: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-custom-policy.html

/** The query parameters of a signed URL. Hash-Algorithm=SHA256 selects SHA-256; without it the hash is SHA-1:
 *  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PrivateCFSignatureCodeAndExamples.html */
export const SIGNED_URL_PARAMS = {
    expires: "Expires",
    policy: "Policy",
    signature: "Signature",
    keyPairId: "Key-Pair-Id",
    hashAlgorithm: "Hash-Algorithm",
} as const;

/** A URL carrying any of these is a signed URL, and CloudFront then looks at no signed cookie:
 *  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-choosing-signed-urls-cookies.html */
export const SIGNING_PARAM_NAMES: readonly string[] = Object.values(SIGNED_URL_PARAMS);

/** The same values as signed cookies (CloudFront-Expires for a canned policy, CloudFront-Policy for a custom one):
 *  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-cookies.html */
export const SIGNED_COOKIE_NAMES = {
    expires: "CloudFront-Expires",
    policy: "CloudFront-Policy",
    signature: "CloudFront-Signature",
    keyPairId: "CloudFront-Key-Pair-Id",
} as const;

/** The value of Hash-Algorithm that selects SHA-256. */
export const SHA256_HASH_ALGORITHM = "SHA256";

/**
 * A canned policy's statement: the one a canned URL's signature covers, which CloudFront rebuilds from the request
 * (its URL without the signing parameters, and Expires). JSON.stringify leaves no white space, as CloudFront wants.
 */
export function cannedPolicy(resource: string, expiresEpochSeconds: number): string {
    return JSON.stringify({
        Statement: [{ Resource: resource, Condition: { DateLessThan: { "AWS:EpochTime": expiresEpochSeconds } } }],
    });
}

export interface CustomPolicyTerms {
    /** The URL (wildcards * and ? allowed; `\?` before a query string); absent: any URL the key may sign. */
    resource?: string;
    /** Epoch seconds; required. */
    dateLessThan: number;
    dateGreaterThan?: number;
    /** One IPv4 address or CIDR range ("192.0.2.0/24"). */
    sourceIp?: string;
}

/** A custom policy's statement (the Policy parameter carries it, base64-encoded). */
export function customPolicy(terms: CustomPolicyTerms): string {
    const condition: Record<string, unknown> = { DateLessThan: { "AWS:EpochTime": terms.dateLessThan } };
    if (terms.dateGreaterThan !== undefined) condition.DateGreaterThan = { "AWS:EpochTime": terms.dateGreaterThan };
    if (terms.sourceIp !== undefined) condition.IpAddress = { "AWS:SourceIp": terms.sourceIp };
    const statement =
        terms.resource === undefined ? { Condition: condition } : { Resource: terms.resource, Condition: condition };
    return JSON.stringify({ Statement: [statement] });
}

/** MIME base64's three characters that a query string cannot carry, and CloudFront's replacements. */
const URL_SAFE: Record<string, string> = { "+": "-", "=": "_", "/": "~" };
const FROM_URL_SAFE: Record<string, string> = { "-": "+", _: "=", "~": "/" };
const CLOUDFRONT_BASE64 = /^[A-Za-z0-9~_-]+$/;

/** MIME base64 in CloudFront's URL-safe alphabet: + → -, = → _, / → ~. */
export function toCloudFrontBase64(base64: string): string {
    return base64.replace(/[+=/]/g, (char) => URL_SAFE[char]);
}

/** CloudFront's URL-safe base64 back to MIME base64; undefined when it has a character outside that alphabet. */
export function fromCloudFrontBase64(text: string): string | undefined {
    if (!CLOUDFRONT_BASE64.test(text)) return undefined;
    return text.replace(/[-_~]/g, (char) => FROM_URL_SAFE[char]);
}

/** Base64 of a text's UTF-8 bytes (btoa alone takes Latin-1 only). */
export function base64OfText(text: string): string {
    let binary = "";
    for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
    return btoa(binary);
}

/** The text whose UTF-8 bytes this base64 holds; undefined when it is not base64 or not UTF-8. */
export function textOfBase64(base64: string): string | undefined {
    try {
        const binary = atob(base64);
        return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
    } catch {
        return undefined;
    }
}

/** The URL with these parameters after its own query string (in this order, as CloudFront's examples show). */
export function withSigningParams(url: string, params: ReadonlyArray<readonly [string, string]>): string {
    const query = params.map(([name, value]) => `${name}=${value}`).join("&");
    return `${url}${url.includes("?") ? "&" : "?"}${query}`;
}
