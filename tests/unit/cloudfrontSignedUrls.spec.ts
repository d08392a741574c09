// CloudFront signed URLs: signed by functions/shared/cloudfrontSignature.ts (the signing route's signer), checked by
// local/cdn/signedUrlVerify.ts (local mode's CDN) as CloudFront checks them. The example values are AWS's own:
// canned: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-canned-policy.html
// custom: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-custom-policy.html
// (AWS publishes no private key, so each signature here is made with a key of the spec's own.)
import { expect } from "chai";
import { generateKeyPairSync, verify } from "crypto";
import {
    base64OfText,
    cannedPolicy,
    customPolicy,
    fromCloudFrontBase64,
    toCloudFrontBase64,
    withSigningParams,
} from "../../functions/shared/cloudfrontPolicy";
import { signCannedUrl, signPolicy } from "../../functions/shared/cloudfrontSignature";
import { parsePolicyStatement, resourceMatches } from "../../local/cdn/policyStatement";
import { CLOUDFRONT_REFUSALS, refusalResult, signedRequestRefusal } from "../../local/cdn/signedUrlVerify";

/** AWS's example values: the base URL (with its own query string), Expires and Key-Pair-Id of the canned example. */
const DOC_BASE_URL = "https://d111111abcdef8.cloudfront.net/image.jpg?color=red&size=medium";
const DOC_EXPIRES = 1767290400;
const DOC_KEY_PAIR_ID = "K2JCJMDEHXQW5F";
/** The custom example's Policy value, as AWS prints it, but for the 7 characters its "EXAMPLE" stands in for. */
const DOC_CUSTOM_POLICY =
    "eyANCiAgICJTdGF0ZW1lbnQiOiBbeyANCiAgICAgICJSZXNvdXJjZSI6Imh0dHA6Ly9kemJlc3FtN3VuMW0wLmNsb3VkZnJvbnQubmV0L2RlbW8ucGhwIiwgDQogICAgICAiQ29uZGl0aW9uIjp7IA0KICAgICAgICAgIklwQWRkcmVzcyI6eyJBV1M6U291cmNlSXAiOiIyMDcuMTcxLjE4MC4xMDEvMzIifSwNCiAgICAgICAgICJEYXRlR3JlYXRlclRoYW4iOnsiQVdTOkVwb2NoVGltZSI6MTI5Njg2MDE3Nn0sDQogICAgICAgICAiRGF0ZUxlc3NUaGFuIjp7IkFXUzpFcG9jaFRpbWUiOjEyOTY4NjAyMjZ9DQogICAgICB9IA0KICAgfV0gDQp9DQo";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const KEYS = new Map([[DOC_KEY_PAIR_ID, publicKey]]);
const BEFORE_EXPIRY_MS = (DOC_EXPIRES - 60) * 1000;
const VIEWER_IP = "203.0.113.7";

const refusal = (url: string, nowMs = BEFORE_EXPIRY_MS, sourceIp = VIEWER_IP, cookie?: string) =>
    signedRequestRefusal({ url, sourceIp, cookie }, KEYS, nowMs);
const docSigned = () =>
    signCannedUrl({ url: DOC_BASE_URL, expiresAt: DOC_EXPIRES, keyPairId: DOC_KEY_PAIR_ID, privateKey });
const param = (url: string, name: string) => new URL(url).searchParams.get(name) ?? "";
const withParam = (url: string, name: string, value: string) =>
    url.replace(new RegExp(`([?&]${name}=)[^&]*`), (_, head) => `${head}${value}`);

describe("CloudFront signed URLs: signing (functions/shared/cloudfrontSignature.ts) and checking as CloudFront does (local/cdn/signedUrlVerify.ts)", () => {
    describe("a canned policy, with AWS's example values", () => {
        it("the statement is AWS's canned policy for the URL and Expires, white space removed", () => {
            expect(cannedPolicy(DOC_BASE_URL, DOC_EXPIRES)).to.equal(
                '{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/image.jpg?color=red&size=medium","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400}}}]}',
            );
        });

        it("the URL is the example's: its own query string, then Expires, Signature, Key-Pair-Id", () => {
            expect(docSigned()).to.match(
                /^https:\/\/d111111abcdef8\.cloudfront\.net\/image\.jpg\?color=red&size=medium&Expires=1767290400&Signature=[A-Za-z0-9~_-]+&Key-Pair-Id=K2JCJMDEHXQW5F$/,
            );
        });

        it("the Signature is RSA-SHA1 (PKCS #1 v1.5) of the statement's bytes, by the private key", () => {
            const signature = Buffer.from(fromCloudFrontBase64(param(docSigned(), "Signature"))!, "base64");
            const statement = Buffer.from(cannedPolicy(DOC_BASE_URL, DOC_EXPIRES));
            expect(verify("sha1", statement, publicKey, signature)).to.equal(true);
            expect(verify("sha256", statement, publicKey, signature)).to.equal(false);
            expect(verify("sha1", statement, other.publicKey, signature)).to.equal(false);
        });

        it("sign, then verify: passes until Expires (DateLessThan: the instant itself is too late), then 403 AccessDenied", () => {
            expect(refusal(docSigned())).to.equal(undefined);
            expect(refusal(docSigned(), DOC_EXPIRES * 1000 - 1)).to.equal(undefined);
            expect(refusal(docSigned(), DOC_EXPIRES * 1000)).to.equal(CLOUDFRONT_REFUSALS.accessDenied);
            expect(refusal(docSigned(), (DOC_EXPIRES + 86_400) * 1000)).to.equal(CLOUDFRONT_REFUSALS.accessDenied);
        });

        it("a tampered signature (one character changed), a later Expires, or another key's signature → AccessDenied", () => {
            const url = docSigned();
            const signature = param(url, "Signature");
            const flipped = `${signature.slice(0, 10)}${signature[10] === "A" ? "B" : "A"}${signature.slice(11)}`;
            expect(refusal(withParam(url, "Signature", flipped))).to.equal(CLOUDFRONT_REFUSALS.accessDenied);
            expect(refusal(withParam(url, "Expires", String(DOC_EXPIRES + 3600)))).to.equal(
                CLOUDFRONT_REFUSALS.accessDenied,
            );
            const byOther = signCannedUrl({
                url: DOC_BASE_URL,
                expiresAt: DOC_EXPIRES,
                keyPairId: DOC_KEY_PAIR_ID,
                privateKey: other.privateKey,
            });
            expect(refusal(byOther)).to.equal(CLOUDFRONT_REFUSALS.accessDenied);
        });

        it("the URL for one path or size opens no other: another file, another size, another query string, another host", () => {
            const image = "https://d111111abcdef8.cloudfront.net/300x300/uploads/0b9b6e0e.jpg";
            const url = signCannedUrl({ url: image, expiresAt: DOC_EXPIRES, keyPairId: DOC_KEY_PAIR_ID, privateKey });
            expect(refusal(url)).to.equal(undefined);
            for (const [from, to] of [
                ["/300x300/", "/640x480/"],
                ["/300x300/", "/"],
                ["0b9b6e0e.jpg", "0b9b6e0f.jpg"],
                ["d111111abcdef8", "d222222abcdef8"],
                ["https:", "http:"],
                [".jpg?", ".jpg?size=large&"],
            ]) {
                expect(refusal(url.replace(from, to)), `${from} → ${to}`).to.equal(CLOUDFRONT_REFUSALS.accessDenied);
            }
        });

        it("refuses as CloudFront does: no Key-Pair-Id → MissingKey, an untrusted one → InvalidKey, no or non-base64 Signature → MalformedSignature; each 403 with CloudFront's XML", () => {
            const url = docSigned();
            expect(refusal(DOC_BASE_URL)).to.equal(CLOUDFRONT_REFUSALS.missingKey);
            expect(refusal(url.replace(/&Key-Pair-Id=[^&]*/, ""))).to.equal(CLOUDFRONT_REFUSALS.missingKey);
            expect(refusal(withParam(url, "Key-Pair-Id", "KNOTTRUSTED0001"))).to.equal(CLOUDFRONT_REFUSALS.unknownKey);
            expect(refusal(url.replace(/&Signature=[^&]*/, ""))).to.equal(CLOUDFRONT_REFUSALS.malformedSignature);
            expect(refusal(withParam(url, "Signature", "a+b/c="))).to.equal(CLOUDFRONT_REFUSALS.malformedSignature);
            expect(refusal(url.replace(/&Expires=[^&]*/, ""))).to.equal(CLOUDFRONT_REFUSALS.malformedPolicy);
            const answer = refusalResult(CLOUDFRONT_REFUSALS.missingKey);
            expect(answer.statusCode).to.equal(403);
            expect(answer.body).to.equal(
                '<?xml version="1.0" encoding="UTF-8"?><Error><Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message></Error>',
            );
        });

        it("Hash-Algorithm=SHA256 selects RSA-SHA256 (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PrivateCFSignatureCodeAndExamples.html); a SHA-1 signature then fails", () => {
            const policy = cannedPolicy(DOC_BASE_URL, DOC_EXPIRES);
            const url = (signature: string) =>
                withSigningParams(DOC_BASE_URL, [
                    ["Expires", String(DOC_EXPIRES)],
                    ["Signature", signature],
                    ["Key-Pair-Id", DOC_KEY_PAIR_ID],
                    ["Hash-Algorithm", "SHA256"],
                ]);
            expect(refusal(url(signPolicy(policy, privateKey, "sha256")))).to.equal(undefined);
            expect(refusal(url(signPolicy(policy, privateKey, "sha1")))).to.equal(CLOUDFRONT_REFUSALS.accessDenied);
        });
    });

    describe("CloudFront's URL-safe base64: + → -, = → _, / → ~", () => {
        it("maps each of the three characters, and back; anything outside the alphabet is no CloudFront base64", () => {
            expect(toCloudFrontBase64("ab+c/d==")).to.equal("ab-c~d__");
            expect(fromCloudFrontBase64("ab-c~d__")).to.equal("ab+c/d==");
            for (const bad of ["ab+c", "ab/c", "ab=c", "ab c", "ab%2B"])
                expect(fromCloudFrontBase64(bad), bad).to.equal(undefined);
        });

        it("a signature whose MIME base64 has +, / and = travels as -, ~ and _, and verifies", () => {
            // 256 bytes always end in "=="; look for an Expires whose signature also has a + and a /.
            let expires = DOC_EXPIRES;
            let mime = "";
            for (; !(mime.includes("+") && mime.includes("/")); expires++) {
                mime = Buffer.from(
                    fromCloudFrontBase64(signPolicy(cannedPolicy(DOC_BASE_URL, expires), privateKey))!,
                    "base64",
                ).toString("base64");
            }
            expires--;
            const url = signCannedUrl({
                url: DOC_BASE_URL,
                expiresAt: expires,
                keyPairId: DOC_KEY_PAIR_ID,
                privateKey,
            });
            const sent = param(url, "Signature");
            expect(sent).to.equal(mime.replace(/\+/g, "-").replace(/=/g, "_").replace(/\//g, "~"));
            expect(sent).to.not.match(/[+=/]/);
            expect(refusal(url)).to.equal(undefined);
            // The same signature in MIME base64 is not what CloudFront reads.
            expect(refusal(withParam(url, "Signature", encodeURIComponent(mime)))).to.equal(
                CLOUDFRONT_REFUSALS.malformedSignature,
            );
        });
    });

    describe("a custom policy", () => {
        it("reads AWS's example Policy: its white space, Resource, IpAddress, DateGreaterThan and DateLessThan", () => {
            const text = Buffer.from(fromCloudFrontBase64(DOC_CUSTOM_POLICY)!, "base64").toString("utf8");
            expect(parsePolicyStatement(text)).to.deep.equal({
                resource: "http://dzbesqm7un1m0.cloudfront.net/demo.php",
                dateLessThan: 1296860226,
                dateGreaterThan: 1296860176,
                sourceIp: [(((207 * 256 + 171) * 256 + 180) * 256 + 101) >>> 0, 32],
            });
        });

        it("with an IP range: sign, then verify from inside the range only, within its dates only", () => {
            const resource = "https://d111111abcdef8.cloudfront.net/300x300/uploads/*";
            const policy = customPolicy({
                resource,
                dateLessThan: DOC_EXPIRES,
                dateGreaterThan: DOC_EXPIRES - 3600,
                sourceIp: "192.0.2.0/24",
            });
            expect(JSON.parse(policy).Statement[0].Condition.IpAddress).to.deep.equal({
                "AWS:SourceIp": "192.0.2.0/24",
            });
            const url = withSigningParams("https://d111111abcdef8.cloudfront.net/300x300/uploads/a.jpg", [
                ["Policy", toCloudFrontBase64(base64OfText(policy))],
                ["Signature", signPolicy(policy, privateKey)],
                ["Key-Pair-Id", DOC_KEY_PAIR_ID],
            ]);
            const at = (ip: string, nowMs = BEFORE_EXPIRY_MS) => refusal(url, nowMs, ip);
            expect(at("192.0.2.1")).to.equal(undefined);
            expect(at("192.0.2.254")).to.equal(undefined);
            expect(at("::ffff:192.0.2.9"), "IPv4-mapped IPv6, as Node reports an IPv4 peer").to.equal(undefined);
            for (const ip of ["192.0.3.1", "192.0.1.255", "198.51.100.7", "2001:db8::1"])
                expect(at(ip), ip).to.equal(CLOUDFRONT_REFUSALS.accessDenied);
            expect(at("192.0.2.1", (DOC_EXPIRES - 3601) * 1000), "before DateGreaterThan").to.equal(
                CLOUDFRONT_REFUSALS.accessDenied,
            );
            expect(at("192.0.2.1", DOC_EXPIRES * 1000), "at DateLessThan").to.equal(CLOUDFRONT_REFUSALS.accessDenied);
            // The wildcard covers every file under the prefix, no other size; a changed policy breaks the signature.
            expect(refusal(url.replace("/a.jpg", "/b.jpg"), BEFORE_EXPIRY_MS, "192.0.2.1")).to.equal(undefined);
            expect(refusal(url.replace("/300x300/", "/640x480/"), BEFORE_EXPIRY_MS, "192.0.2.1")).to.equal(
                CLOUDFRONT_REFUSALS.accessDenied,
            );
            const wider = customPolicy({ resource, dateLessThan: DOC_EXPIRES, sourceIp: "0.0.0.0/0" });
            expect(
                refusal(
                    withParam(url, "Policy", toCloudFrontBase64(base64OfText(wider))),
                    BEFORE_EXPIRY_MS,
                    "198.51.100.7",
                ),
            ).to.equal(CLOUDFRONT_REFUSALS.accessDenied);
        });

        it("a Policy that is not one statement with DateLessThan, or names an unknown condition, is MalformedPolicy", () => {
            for (const text of [
                "not json",
                '{"Statement":[]}',
                '{"Statement":[{"Resource":"*"}]}',
                '{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":"soon"}}}]}',
                '{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":1},"StringLike":{}}}]}',
                '{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":1},"IpAddress":{"AWS:SourceIp":"300.0.0.0/8"}}}]}',
            ]) {
                const url = withSigningParams(DOC_BASE_URL, [
                    ["Policy", toCloudFrontBase64(base64OfText(text))],
                    ["Signature", signPolicy(text, privateKey)],
                    ["Key-Pair-Id", DOC_KEY_PAIR_ID],
                ]);
                expect(refusal(url), text).to.equal(CLOUDFRONT_REFUSALS.malformedPolicy);
            }
        });

        it("matches Resource wildcards within each part of the URL, as CloudFront documents them", () => {
            const url = "https://d111111abcdef8.cloudfront.net/300x300/uploads/a.jpg";
            expect(resourceMatches("*", url)).to.equal(true);
            expect(resourceMatches("https://d111111abcdef8.cloudfront.net/*", url)).to.equal(true);
            expect(resourceMatches("https://d111111abcdef8.cloudfront.net/*", `${url}?x=1`)).to.equal(true);
            expect(resourceMatches("https://d111111abcdef8.cloudfront.net/300x300/uploads/?.jpg", url)).to.equal(true);
            expect(
                resourceMatches("https://d111111abcdef8.cloudfront.net/300x300/uploads/a.jpg", `${url}?x=1`),
            ).to.equal(false);
            expect(resourceMatches("http://d111111abcdef8.cloudfront.net/*", url)).to.equal(false);
            expect(resourceMatches("https://*.cloudfront.net/300x300/*", url)).to.equal(true);
            expect(resourceMatches("https://*.cloudfront.net/640x480/*", url)).to.equal(false);
        });
    });

    it("signed cookies carry the same values when the URL has no signing parameter (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-cookies.html)", () => {
        const url = docSigned();
        const cookie = [
            `CloudFront-Expires=${DOC_EXPIRES}`,
            `CloudFront-Signature=${param(url, "Signature")}`,
            `CloudFront-Key-Pair-Id=${DOC_KEY_PAIR_ID}`,
        ].join("; ");
        expect(refusal(DOC_BASE_URL, BEFORE_EXPIRY_MS, VIEWER_IP, cookie)).to.equal(undefined);
        expect(refusal(DOC_BASE_URL.replace("image.jpg", "other.jpg"), BEFORE_EXPIRY_MS, VIEWER_IP, cookie)).to.equal(
            CLOUDFRONT_REFUSALS.accessDenied,
        );
        // A URL with any signing parameter is a signed URL: its cookies are not looked at.
        expect(refusal(`${DOC_BASE_URL}&Expires=${DOC_EXPIRES}`, BEFORE_EXPIRY_MS, VIEWER_IP, cookie)).to.equal(
            CLOUDFRONT_REFUSALS.missingKey,
        );
    });
});
