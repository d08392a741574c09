import { expect } from "chai";
import { ConfigError, parsePipelineConfig } from "../infra/config";
import { devStackConfig } from "./support/program";

const ns = (values: Record<string, string>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [`image-pipeline:${k}`, v]));

function problemsOf(values: Record<string, string>): string {
    try {
        parsePipelineConfig(ns(values));
    } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        return (error as Error).message;
    }
    throw new Error(`expected ${JSON.stringify(values)} to be rejected`);
}

describe("stack config (infra/config.ts)", () => {
    it("has the documented defaults when nothing is set", () => {
        const config = parsePipelineConfig({ "aws:region": "ap-northeast-2" });
        expect(config.allowedResolutions).to.deep.equal(["300x300", "640x480", "1280x720"]);
        expect(config.maxResizeDimension).to.equal(2048);
        expect(config.corsOrigins).to.deep.equal(["http://localhost:3000"]);
        expect(config.allowedContentTypes).to.deep.equal(["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"]);
        expect(config.maxUploadBytes).to.equal(10 * 1024 * 1024);
        expect(config.uploadExpiresIn).to.equal(300);
        expect(config.priceClass).to.equal("PriceClass_200");
        expect(config.forceDestroy).to.equal(false);
        expect(config.domainNames).to.deep.equal([]);
        expect(config.certificateArn).to.equal(undefined);
    });

    it("reads allowedResolutions the same from a comma string and from the --path list form", () => {
        const comma = parsePipelineConfig(ns({ allowedResolutions: "300x300,640x480" }));
        // `pulumi config set --path 'allowedResolutions[0]' 300x300` hands the program JSON text.
        const list = parsePipelineConfig(ns({ allowedResolutions: '["300x300","640x480"]' }));
        expect(comma.allowedResolutions).to.deep.equal(["300x300", "640x480"]);
        expect(list.allowedResolutions).to.deep.equal(comma.allowedResolutions);
        expect(parsePipelineConfig(ns({ allowedResolutions: " 300x300 , 640x480 " })).allowedResolutions)
            .to.deep.equal(["300x300", "640x480"]);
    });

    it("accepts an empty resolution list (any size up to maxResizeDimension)", () => {
        expect(parsePipelineConfig(ns({ allowedResolutions: "" })).allowedResolutions).to.deep.equal([]);
        expect(parsePipelineConfig(ns({ allowedResolutions: "[]" })).allowedResolutions).to.deep.equal([]);
    });

    it("reads Pulumi.dev.yaml (the YAML list form) without the engine", () => {
        const config = parsePipelineConfig(devStackConfig());
        expect(config.corsOrigins).to.deep.equal(["http://localhost:3000"]);
        expect(config.allowedResolutions).to.deep.equal(["300x300", "640x480", "1280x720"]);
    });

    const invalid: Array<[string, Record<string, string>, string]> = [
        ["a size that is not WxH", { allowedResolutions: "300by300" }, 'allowedResolutions: "300by300" is not a size'],
        ["a zero size", { allowedResolutions: "0x10" }, 'allowedResolutions: "0x10" is not a size'],
        ["a leading zero", { allowedResolutions: "0300x300" }, 'allowedResolutions: "0300x300" is not a size'],
        ["a size above maxResizeDimension", { allowedResolutions: "9999x9999" }, 'allowedResolutions: "9999x9999" exceeds maxResizeDimension (2048)'],
        ["a size above a lowered maxResizeDimension", { allowedResolutions: "640x480", maxResizeDimension: "600" }, '"640x480" exceeds maxResizeDimension (600)'],
        ["duplicate sizes", { allowedResolutions: "300x300,300x300" }, 'allowedResolutions: "300x300" is listed twice'],
        ["a list that is not strings", { allowedResolutions: "[300]" }, 'allowedResolutions: "[300]" is neither'],
        ["expiry 0", { uploadExpiresIn: "0" }, 'uploadExpiresIn: "0" is not a whole number from 1 to 900'],
        ["negative expiry", { uploadExpiresIn: "-5" }, 'uploadExpiresIn: "-5" is not a whole number'],
        // A URL dies with the role credentials that signed it (repost.aws/knowledge-center/presigned-url-s3-bucket-expiration).
        ["an expiry that may outlive the signing role's credentials", { uploadExpiresIn: "901" }, 'uploadExpiresIn: "901" is not a whole number from 1 to 900 (the longest a Lambda role'],
        ["a non-boolean requireUploadSize", { requireUploadSize: "1" }, 'requireUploadSize: "1" is not true or false'],
        // docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html: IAM policies name keys by key ARN only.
        ["a KMS alias ARN", { kmsKeyArn: "arn:aws:kms:ap-northeast-2:123456789012:alias/images" }, "is an alias ARN; IAM policies cannot name a key by alias: pass the key ARN"],
        ["a KMS key id instead of its ARN", { kmsKeyArn: "1234abcd-12ab-34cd-56ef-1234567890ab" }, "is not a KMS key ARN"],
        ["fractional bytes", { maxUploadBytes: "1.5" }, 'maxUploadBytes: "1.5" is not a whole number'],
        ["an unknown price class", { priceClass: "PriceClass_50" }, 'priceClass: "PriceClass_50" is not one of PriceClass_All, PriceClass_200, PriceClass_100'],
        ["a CORS origin with a path", { corsOrigins: "http://x.com/path" }, 'corsOrigins: "http://x.com/path" is not an origin'],
        ["a CORS origin with a trailing slash", { corsOrigins: "https://x.com/" }, 'did you mean "https://x.com"'],
        ["a CORS origin without scheme", { corsOrigins: "x.com" }, 'corsOrigins: "x.com" is not an http(s) origin'],
        ["* with credentials", { corsOrigins: "*", corsAllowCredentials: "true" }, '"*" cannot be used with corsAllowCredentials'],
        ["no CORS origin", { corsOrigins: "" }, 'corsOrigins: "" must not be empty'],
        ["an unknown content type", { allowedContentTypes: "image/jpeg,image/tiff" }, 'allowedContentTypes: "image/tiff" is not one of'],
        ["a non-boolean", { forceDestroy: "yes" }, 'forceDestroy: "yes" is not true or false'],
        ["domain names without certificate", { domainNames: "img.example.com" }, "domainNames and image-pipeline:certificateArn must be set together"],
        ["a certificate outside us-east-1", { domainNames: "img.example.com", certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc" }, "is not an ACM certificate ARN in us-east-1"],
        ["a misspelt key", { allowedResolution: "300x300" }, "image-pipeline:allowedResolution: unknown key"],
        ["an unknown resize fit", { resizeFit: "fill" }, 'resizeFit: "fill" is not one of cover, contain, inside'],
        ["an unknown architecture", { resizerArchitecture: "arm" }, 'resizerArchitecture: "arm" is not one of arm64, x86_64'],
        ["issuer without audience", { jwtIssuer: "https://issuer.example.com/" }, "jwtIssuer and image-pipeline:jwtAudience must be set together"],
    ];
    for (const [what, values, message] of invalid) {
        it(`rejects ${what}, naming the key and the value`, () => {
            expect(problemsOf(values)).to.include(message);
        });
    }

    it("reads requireUploadSize (default false) and the KMS choice: create, or a key ARN", () => {
        expect(parsePipelineConfig({}).requireUploadSize).to.equal(false);
        expect(parsePipelineConfig(ns({ requireUploadSize: "true" })).requireUploadSize).to.equal(true);
        expect(parsePipelineConfig(ns({ kmsKeyArn: "create" })).kmsKeyArn).to.equal("create");
        const key = "arn:aws:kms:ap-northeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        expect(parsePipelineConfig({ "aws:region": "ap-northeast-2", ...ns({ kmsKeyArn: key }) }).kmsKeyArn).to.equal(key);
        expect(parsePipelineConfig(ns({ uploadExpiresIn: "900" })).uploadExpiresIn).to.equal(900);
    });

    it("refuses a KMS key from another region than the bucket's (S3 only uses keys of its own region)", () => {
        // docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html: the key must be in the bucket's Region.
        const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let message = "";
        try {
            parsePipelineConfig({ "aws:region": "ap-northeast-2", ...ns({ kmsKeyArn: key }) });
        } catch (error) {
            message = (error as Error).message;
        }
        expect(message).to.include("is in us-east-1, but the bucket is in ap-northeast-2 (aws:region)");
    });

    it("lists every problem at once and escapes the values it quotes", () => {
        const message = problemsOf({ allowedResolutions: '300x300,<script>"x"', priceClass: "nope" });
        expect(message).to.include('"\\u003cscript\\u003e\\"x\\""');
        expect(message).to.not.include("<script>");
        expect(message).to.include('priceClass: "nope"');
    });
});
