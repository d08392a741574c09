import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parsePipelineConfig, projectNamespace } from "../../config/stackConfig";
import { devStackConfig, runProgram } from "../support/program";
import { MOCK_PROJECT, useMockProject } from "../support/pulumiMocks";
import { ns, problemsOf } from "../support/configProblems";

describe("stack config (config/stackConfig.ts)", () => {
    it("has the documented defaults when nothing is set", () => {
        const config = parsePipelineConfig({ "aws:region": "ap-northeast-2" });
        expect(config.allowedResolutions).to.deep.equal(["300x300", "640x480", "1280x720"]);
        expect(config.maxResizeDimension).to.equal(2048);
        expect(config.corsOrigins).to.deep.equal(["http://localhost:3000"]);
        expect(config.allowedContentTypes).to.deep.equal([
            "image/jpeg",
            "image/png",
            "image/webp",
            "image/gif",
            "image/avif",
        ]);
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
        expect(parsePipelineConfig(ns({ allowedResolutions: " 300x300 , 640x480 " })).allowedResolutions).to.deep.equal(
            ["300x300", "640x480"],
        );
    });

    it("accepts an empty resolution list (any size up to maxResizeDimension) only with allowAnyResolution=true", () => {
        expect(
            parsePipelineConfig(ns({ allowedResolutions: "", allowAnyResolution: "true" })).allowedResolutions,
        ).to.deep.equal([]);
        expect(
            parsePipelineConfig(ns({ allowedResolutions: "[]", allowAnyResolution: "true" })).allowedResolutions,
        ).to.deep.equal([]);
        expect(problemsOf({ allowedResolutions: "" })).to.include(
            "allowedResolutions: an empty list would let anyone make any size up to 2048px",
        );
        expect(problemsOf({ allowedResolutions: "[]", allowAnyResolution: "false" })).to.include(
            "set image-pipeline:allowAnyResolution to true",
        );
        expect(problemsOf({ allowAnyResolution: "true" })).to.include(
            'allowAnyResolution=true needs image-pipeline:allowedResolutions set to "" (empty)',
        );
    });

    it("has the documented CloudFront/Resizer defaults: 30 s read timeout, 2 attempts, reserved concurrency 10", () => {
        const config = parsePipelineConfig({});
        expect(config).to.include({
            resizerTimeoutSeconds: 30,
            resizerOriginReadTimeoutSeconds: 30,
            resizerOriginConnectionAttempts: 2,
            resizerReservedConcurrency: 10,
            allowAnyResolution: false,
        });
    });

    it('turns reserved concurrency off with "none" or "off", and refuses 0 (it would disable the function)', () => {
        expect(parsePipelineConfig(ns({ resizerReservedConcurrency: "none" })).resizerReservedConcurrency).to.equal(
            undefined,
        );
        expect(parsePipelineConfig(ns({ resizerReservedConcurrency: "off" })).resizerReservedConcurrency).to.equal(
            undefined,
        );
        expect(parsePipelineConfig(ns({ resizerReservedConcurrency: "25" })).resizerReservedConcurrency).to.equal(25);
        expect(problemsOf({ resizerReservedConcurrency: "0" })).to.include(
            'resizerReservedConcurrency: "0" would stop the Resizer from ever running',
        );
        expect(problemsOf({ resizerReservedConcurrency: "-1" })).to.include(
            'resizerReservedConcurrency: "-1" is not a whole number from 1',
        );
    });

    it("refuses a Resizer timeout longer than CloudFront waits for it, or than API Gateway's 30 s", () => {
        expect(problemsOf({ resizerTimeoutSeconds: "25", resizerOriginReadTimeoutSeconds: "20" })).to.include(
            "resizerTimeoutSeconds (25) exceeds image-pipeline:resizerOriginReadTimeoutSeconds (20)",
        );
        expect(problemsOf({ resizerTimeoutSeconds: "31", resizerOriginReadTimeoutSeconds: "60" })).to.include(
            'resizerTimeoutSeconds: "31" is not a whole number from 1 to 30',
        );
        expect(
            parsePipelineConfig(ns({ resizerTimeoutSeconds: "20", resizerOriginReadTimeoutSeconds: "20" }))
                .resizerTimeoutSeconds,
        ).to.equal(20);
        expect(problemsOf({ resizerOriginReadTimeoutSeconds: "61" })).to.include(
            'resizerOriginReadTimeoutSeconds: "61" is not a whole number from 1 to 60',
        );
        expect(problemsOf({ resizerOriginConnectionAttempts: "3" })).to.include(
            'resizerOriginConnectionAttempts: "3" is not a whole number from 1 to 2',
        );
    });

    it("refuses more sizes than CloudFront has cache behaviours for (75 per distribution)", () => {
        const sizes = Array.from({ length: 74 }, (_, i) => `${i + 1}x${i + 1}`).join(",");
        expect(problemsOf({ allowedResolutions: sizes })).to.include(
            "allowedResolutions: 74 sizes, but CloudFront allows 75 cache behaviours",
        );
        expect(
            parsePipelineConfig(ns({ allowedResolutions: sizes.split(",").slice(0, 73).join(",") })).allowedResolutions,
        ).to.have.length(73);
    });

    it("reads Pulumi.dev.yaml (the YAML list form) without the engine", () => {
        const config = parsePipelineConfig(devStackConfig());
        expect(config.corsOrigins).to.deep.equal(["http://localhost:3000"]);
        expect(config.allowedResolutions).to.deep.equal(["300x300", "640x480", "1280x720"]);
    });

    const invalid: Array<[string, Record<string, string>, string]> = [
        ["a size that is not WxH", { allowedResolutions: "300by300" }, 'allowedResolutions: "300by300" is not a size'],
        [
            "a size of neither width nor height",
            { allowedResolutions: "0x0" },
            '"0x0" names neither a width nor a height',
        ],
        ["a zero with a leading zero", { allowedResolutions: "00x10" }, 'allowedResolutions: "00x10" is not a size'],
        ["a leading zero", { allowedResolutions: "0300x300" }, 'allowedResolutions: "0300x300" is not a size'],
        [
            "a size above maxResizeDimension",
            { allowedResolutions: "9999x9999" },
            'allowedResolutions: "9999x9999" exceeds maxResizeDimension (2048)',
        ],
        [
            "a size above a lowered maxResizeDimension",
            { allowedResolutions: "640x480", maxResizeDimension: "600" },
            '"640x480" exceeds maxResizeDimension (600)',
        ],
        ["duplicate sizes", { allowedResolutions: "300x300,300x300" }, 'allowedResolutions: "300x300" is listed twice'],
        ["a list that is not strings", { allowedResolutions: "[300]" }, 'allowedResolutions: "[300]" is neither'],
        ["expiry 0", { uploadExpiresIn: "0" }, 'uploadExpiresIn: "0" is not a whole number from 1 to 900'],
        ["negative expiry", { uploadExpiresIn: "-5" }, 'uploadExpiresIn: "-5" is not a whole number'],
        // A URL dies with the role credentials that signed it (repost.aws/knowledge-center/presigned-url-s3-bucket-expiration).
        [
            "an expiry that may outlive the signing role's credentials",
            { uploadExpiresIn: "901" },
            'uploadExpiresIn: "901" is not a whole number from 1 to 900 (the longest a Lambda role',
        ],
        ["a non-boolean requireUploadSize", { requireUploadSize: "1" }, 'requireUploadSize: "1" is not true or false'],
        // docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html: IAM policies name keys by key ARN only.
        [
            "a KMS alias ARN",
            { kmsKeyArn: "arn:aws:kms:ap-northeast-2:123456789012:alias/images" },
            "is an alias ARN; IAM policies cannot name a key by alias: pass the key ARN",
        ],
        [
            "a KMS key id instead of its ARN",
            { kmsKeyArn: "1234abcd-12ab-34cd-56ef-1234567890ab" },
            "is not a KMS key ARN",
        ],
        ["fractional bytes", { maxUploadBytes: "1.5" }, 'maxUploadBytes: "1.5" is not a whole number'],
        [
            "an unknown price class",
            { priceClass: "PriceClass_50" },
            'priceClass: "PriceClass_50" is not one of PriceClass_All, PriceClass_200, PriceClass_100',
        ],
        [
            "a CORS origin with a path",
            { corsOrigins: "http://x.com/path" },
            'corsOrigins: "http://x.com/path" is not an origin',
        ],
        ["a CORS origin with a trailing slash", { corsOrigins: "https://x.com/" }, 'did you mean "https://x.com"'],
        ["a CORS origin without scheme", { corsOrigins: "x.com" }, 'corsOrigins: "x.com" is not an http(s) origin'],
        [
            "* with credentials",
            { corsOrigins: "*", corsAllowCredentials: "true" },
            '"*" cannot be used with corsAllowCredentials',
        ],
        ["no CORS origin", { corsOrigins: "" }, 'corsOrigins: "" must not be empty'],
        [
            "an unknown content type",
            { allowedContentTypes: "image/jpeg,image/tiff" },
            'allowedContentTypes: "image/tiff" is not one of',
        ],
        ["a non-boolean", { forceDestroy: "yes" }, 'forceDestroy: "yes" is not true or false'],
        [
            "domain names without certificate",
            { domainNames: "img.example.com" },
            "domainNames and image-pipeline:certificateArn must be set together",
        ],
        [
            "a certificate outside us-east-1",
            { domainNames: "img.example.com", certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc" },
            "is not an ACM certificate ARN in us-east-1",
        ],
        ["a misspelt key", { allowedResolution: "300x300" }, "image-pipeline:allowedResolution: unknown key"],
        ["an unknown resize fit", { resizeFit: "fill" }, 'resizeFit: "fill" is not one of cover, contain, inside'],
        [
            "an unknown architecture",
            { resizerArchitecture: "arm" },
            'resizerArchitecture: "arm" is not one of arm64, x86_64',
        ],
        [
            "issuer without audience",
            { jwtIssuer: "https://issuer.example.com/" },
            "jwtIssuer and image-pipeline:jwtAudience must be set together",
        ],
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
        expect(parsePipelineConfig({ "aws:region": "ap-northeast-2", ...ns({ kmsKeyArn: key }) }).kmsKeyArn).to.equal(
            key,
        );
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

describe("config namespace: the project's name, not a literal", () => {
    it("reads the name from Pulumi.yaml (what `pulumi config set` stores keys under)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "renamed-project-"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), 'name: "photo-pipeline" # renamed\nruntime:\n  name: nodejs\n');
        expect(projectNamespace(dir)).to.equal("photo-pipeline");
        expect(projectNamespace()).to.equal("image-pipeline");
        const config = parsePipelineConfig(
            { "photo-pipeline:resizeQuality": "55", "image-pipeline:resizeQuality": "nonsense" },
            projectNamespace(dir),
        );
        expect(config.resizeQuality, "keys of the old name are another project's").to.equal(55);
        expect(() => parsePipelineConfig({ "photo-pipeline:resizeQualty": "55" }, "photo-pipeline")).to.throw(
            "photo-pipeline:resizeQualty: unknown key",
        );
    });

    it("a renamed project deployed by the engine still reads its keys (index.ts under mocks, pulumi.getProject())", async () => {
        useMockProject("photo-pipeline");
        try {
            const run = await runProgram({
                "photo-pipeline:resizeQuality": "55",
                "photo-pipeline:resizerMemoryMb": "2048",
            });
            const resizer = run.ofType("aws:lambda/function:Function").find((f) => f.name === "resizer-handler")!;
            expect(resizer.inputs.memorySize).to.equal(2048);
            expect(resizer.inputs.environment.variables.RESIZE_QUALITY).to.equal("55");
        } finally {
            useMockProject(MOCK_PROJECT);
        }
    });
});
