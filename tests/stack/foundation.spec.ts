import { expect } from "chai";
import { parsePolicy, ProgramRun, runProgram } from "../support/program";

const BUCKET = "aws:s3/bucket:Bucket";
const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";

describe("stack foundation under mocks (index.ts with Pulumi.dev.yaml)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram();
    });

    it("registers the bucket, its side resources, one policy, the OAC, the CDN policies and the distribution", () => {
        for (const type of [
            BUCKET,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            BUCKET_POLICY,
            "aws:cloudfront/originAccessControl:OriginAccessControl",
            "aws:cloudfront/cachePolicy:CachePolicy",
            "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
            DISTRIBUTION,
        ]) {
            expect(run.ofType(type).length, type).to.be.greaterThan(0);
        }
        expect(run.ofType(BUCKET)).to.have.length(1);
        expect(run.ofType(BUCKET_POLICY), "S3 keeps one policy per bucket").to.have.length(1);
        expect(run.ofType(DISTRIBUTION)).to.have.length(1);
    });

    it("exports the bucket name and the CDN's URL, domain and id", () => {
        const bucket = run.one(BUCKET).state;
        const distribution = run.one(DISTRIBUTION);
        expect(run.outputs.bucketName).to.equal(bucket.bucket);
        expect(run.outputs.cdnDomainName).to.equal(distribution.state.domainName);
        expect(run.outputs.cdnUrl).to.equal(`https://${distribution.state.domainName}`);
        expect(run.outputs.distributionId).to.equal(`${distribution.name}-id`);
    });

    it("follows the component conventions (type tokens, children named after their component)", () => {
        const components = run.resources.filter((r) => r.type.startsWith("image-pipeline:"));
        expect(components.map((c) => c.type)).to.include.members([
            "image-pipeline:storage:ImageBucket",
            "image-pipeline:delivery:CdnDistribution",
        ]);
        expect(run.one(BUCKET).name).to.equal("images-bucket");
        expect(run.one(DISTRIBUTION).name).to.equal("cdn-distribution");
    });

    describe("ImageBucket", () => {
        it("blocks all four kinds of public access", () => {
            const block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
            expect(block.blockPublicAcls).to.equal(true);
            expect(block.blockPublicPolicy).to.equal(true);
            expect(block.ignorePublicAcls).to.equal(true);
            expect(block.restrictPublicBuckets).to.equal(true);
            expect(block.bucket).to.equal(run.one(BUCKET).state.bucket);
        });

        it("enforces bucket-owner ownership (ACLs disabled)", () => {
            const ownership = run.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs;
            expect(ownership.rule.objectOwnership).to.equal("BucketOwnerEnforced");
        });

        it("encrypts with AES256 by default and with the KMS key when one is configured", async () => {
            const sse = run.one(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            ).inputs;
            expect(sse.rules[0].applyServerSideEncryptionByDefault).to.deep.equal({ sseAlgorithm: "AES256" });
            const kmsKeyArn = "arn:aws:kms:ap-northeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
            const withKms = await runProgram({ "image-pipeline:kmsKeyArn": kmsKeyArn });
            const kms = withKms.one(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            ).inputs;
            expect(kms.rules[0].applyServerSideEncryptionByDefault).to.deep.equal({
                sseAlgorithm: "aws:kms",
                kmsMasterKeyId: kmsKeyArn,
            });
            expect(kms.rules[0].bucketKeyEnabled).to.equal(true);
            // (the upload events topic has a key of its own, tests/stack/ingest.spec.ts)
            // The topics' keys (upload events, alarms) are not the bucket's.
            const bucketKeys = withKms
                .ofType("aws:kms/key:Key")
                .filter((key) => key.name !== "upload-events-key" && !key.name.startsWith("observability-alarms"));
            expect(bucketKeys, "a brought key is not made").to.have.length(0);
            expect(withKms.outputs.kmsKeyArn).to.equal(kmsKeyArn);
            // The stack cannot edit a brought key's policy: it exports the statement CloudFront's OAC needs.
            const statement = JSON.parse(withKms.outputs.kmsKeyPolicyStatement as string);
            expect(statement).to.deep.include({
                Effect: "Allow",
                Principal: { Service: "cloudfront.amazonaws.com" },
                Action: "kms:Decrypt",
            });
            expect(statement.Condition).to.deep.equal({
                StringEquals: { "AWS:SourceArn": withKms.one(DISTRIBUTION).state.arn },
            });
            expect(run.outputs.kmsKeyPolicyStatement, "nothing to add without KMS").to.equal(undefined);
        });

        it("with kmsKeyArn=create makes a rotating key, encrypts with it (bucket key on) and gives it CloudFront's statement", async () => {
            const created = await runProgram({ "image-pipeline:kmsKeyArn": "create" });
            const key = created.ofType("aws:kms/key:Key").find((k) => k.name === "images-key")!;
            expect(key.inputs.enableKeyRotation).to.equal(true);
            const sse = created.one(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            ).inputs;
            expect(sse.rules[0].applyServerSideEncryptionByDefault).to.deep.equal({
                sseAlgorithm: "aws:kms",
                kmsMasterKeyId: key.state.arn,
            });
            expect(sse.rules[0].bucketKeyEnabled).to.equal(true);
            const keyPolicy = created
                .ofType("aws:kms/keyPolicy:KeyPolicy")
                .find((p) => p.name === "images-key-policy")!;
            expect(keyPolicy.inputs.keyId).to.equal(key.state.keyId);
            const sids = parsePolicy(keyPolicy.inputs.policy).Statement.map((statement) => statement.Sid);
            expect(sids).to.have.members(["EnableIamPoliciesOfThisAccount", "AllowCloudFrontOacDecrypt"]); // evaluated in tests/stack/iam.spec.ts
            expect(created.outputs.kmsKeyArn).to.equal(key.state.arn);
            expect(created.outputs.kmsKeyPolicyStatement, "a created key needs no hand edit").to.equal(undefined);
        });

        it("allows browser uploads and reads from exactly the configured CORS origins", async () => {
            const [rule] = run.one("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration").inputs.corsRules;
            expect(rule.allowedOrigins).to.deep.equal(["http://localhost:3000"]);
            expect(rule.allowedMethods).to.have.members(["PUT", "POST", "GET", "HEAD"]);
            expect(rule.exposeHeaders).to.deep.equal(["ETag"]);
            expect(rule.maxAgeSeconds).to.be.a("number").greaterThan(0);
            const custom = await runProgram({
                "image-pipeline:corsOrigins": "https://app.example.com,https://www.example.com",
            });
            const [customRule] = custom.one("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration").inputs.corsRules;
            expect(customRule.allowedOrigins).to.deep.equal(["https://app.example.com", "https://www.example.com"]);
        });

        it("aborts incomplete multipart uploads after a day", () => {
            const [rule] = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
            expect(rule.status).to.equal("Enabled");
            expect(rule.abortIncompleteMultipartUpload).to.deep.equal({ daysAfterInitiation: 1 });
        });

        it("keeps no inline policy, ACL or website on the bucket itself", () => {
            const bucket = run.one(BUCKET).inputs;
            expect(bucket).to.not.have.any.keys("policy", "acl", "website", "corsRules");
            expect(bucket.forceDestroy).to.equal(true); // Pulumi.dev.yaml sets it for a throw-away dev stack
        });

        it("does not let `pulumi destroy` delete images unless forceDestroy is set", async () => {
            const production = await runProgram({ "image-pipeline:forceDestroy": undefined });
            expect(production.one(BUCKET).inputs.forceDestroy).to.equal(false);
        });
    });

    describe("the single bucket policy", () => {
        let statements: any[];
        before(() => {
            const policy = run.one(BUCKET_POLICY);
            expect(policy.inputs.bucket).to.equal(run.one(BUCKET).state.bucket);
            statements = parsePolicy(policy.inputs.policy).Statement;
        });

        it("denies every request made without TLS, on the bucket and its objects", () => {
            const deny = statements.filter((s) => s.Effect === "Deny" && s.Sid === "DenyInsecureTransport");
            expect(deny).to.have.length(1);
            expect(deny[0].Principal).to.equal("*");
            expect(deny[0].Action).to.equal("s3:*");
            const bucketArn = run.one(BUCKET).state.arn;
            expect(deny[0].Resource).to.have.members([bucketArn, `${bucketArn}/*`]);
            expect(deny[0].Condition).to.deep.equal({ Bool: { "aws:SecureTransport": "false" } });
        });

        it("denies CloudFront only staged uploads and statuses, no other Deny", () => {
            const bucketArn = run.one(BUCKET).state.arn;
            expect(statements.filter((s) => s.Effect === "Deny").map((s) => s.Sid)).to.have.members([
                "DenyInsecureTransport",
                "DenyCloudFrontStagingAndStatus",
            ]);
            const cdnDeny = statements.find((s) => s.Sid === "DenyCloudFrontStagingAndStatus");
            expect(cdnDeny.Principal).to.deep.equal({ Service: "cloudfront.amazonaws.com" });
            expect(cdnDeny.Resource).to.have.members([`${bucketArn}/incoming/*`, `${bucketArn}/status/*`]);
        });

        it("lets only this stack's distribution read objects, and nothing else is allowed", () => {
            const allow = statements.filter((s) => s.Effect === "Allow");
            expect(allow).to.have.length(1);
            expect(allow[0].Principal).to.deep.equal({ Service: "cloudfront.amazonaws.com" });
            expect(allow[0].Action).to.equal("s3:GetObject");
            expect(allow[0].Resource).to.equal(`${run.one(BUCKET).state.arn}/*`);
            expect(allow[0].Condition).to.deep.equal({
                StringEquals: { "AWS:SourceArn": run.one(DISTRIBUTION).state.arn },
            });
        });
    });

    describe("CdnDistribution", () => {
        let distribution: Record<string, any>;
        before(() => {
            distribution = run.one(DISTRIBUTION).inputs;
        });

        it("reads the bucket through an always-signing sigv4 S3 Origin Access Control, with no legacy OAI", () => {
            const oacs = run.ofType("aws:cloudfront/originAccessControl:OriginAccessControl");
            const s3Oac = oacs.find((o) => o.inputs.originAccessControlOriginType === "s3")!;
            expect(s3Oac.inputs.signingBehavior).to.equal("always");
            expect(s3Oac.inputs.signingProtocol).to.equal("sigv4");
            const bucketOrigin = distribution.origins.find(
                (o: any) => o.domainName === run.one(BUCKET).state.bucketRegionalDomainName,
            );
            expect(bucketOrigin.originAccessControlId).to.equal(`${s3Oac.name}-id`);
            expect(bucketOrigin).to.not.have.property("s3OriginConfig");
            expect(run.ofType("aws:cloudfront/originAccessIdentity:OriginAccessIdentity")).to.have.length(0);
        });

        it("redirects to HTTPS, allows only GET/HEAD/OPTIONS and compresses", () => {
            const behavior = distribution.defaultCacheBehavior;
            expect(behavior.viewerProtocolPolicy).to.equal("redirect-to-https");
            expect(behavior.allowedMethods).to.have.members(["GET", "HEAD", "OPTIONS"]);
            expect(behavior.cachedMethods).to.have.members(["GET", "HEAD"]);
            expect(behavior.compress).to.equal(true);
        });

        it("caches immutable keys long, keyed on the path only, with gzip and brotli", () => {
            const policy = run.one("aws:cloudfront/cachePolicy:CachePolicy");
            expect(distribution.defaultCacheBehavior.cachePolicyId).to.equal(`${policy.name}-id`);
            expect(policy.inputs.defaultTtl).to.be.at.least(86400 * 30);
            expect(policy.inputs.maxTtl).to.be.at.least(policy.inputs.defaultTtl);
            expect(policy.inputs.minTtl).to.equal(0);
            const key = policy.inputs.parametersInCacheKeyAndForwardedToOrigin;
            expect(key.queryStringsConfig.queryStringBehavior).to.equal("none");
            expect(key.cookiesConfig.cookieBehavior).to.equal("none");
            expect(key.headersConfig.headerBehavior).to.equal("none");
            expect(key.enableAcceptEncodingGzip).to.equal(true);
            expect(key.enableAcceptEncodingBrotli).to.equal(true);
        });

        it("adds CORS for the configured origins and nosniff", () => {
            // The images' policy (variants with autoFormat get their own, with Vary: Accept: tests/stack/cdnBehaviours.spec.ts).
            const policy = run
                .ofType("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
                .find((p) => p.name === "cdn-headers")!;
            expect(distribution.defaultCacheBehavior.responseHeadersPolicyId).to.equal(`${policy.name}-id`);
            expect(policy.inputs.corsConfig.accessControlAllowOrigins.items).to.deep.equal(["http://localhost:3000"]);
            expect(policy.inputs.corsConfig.accessControlAllowMethods.items).to.have.members(["GET", "HEAD"]);
            expect(policy.inputs.corsConfig.accessControlAllowCredentials).to.equal(false);
            expect(policy.inputs.securityHeadersConfig.contentTypeOptions.override).to.equal(true);
        });

        it("uses the configured price class, HTTP/2 and HTTP/3, and IPv6", async () => {
            expect(distribution.priceClass).to.equal("PriceClass_200");
            expect(distribution.httpVersion).to.equal("http2and3");
            expect(distribution.isIpv6Enabled).to.equal(true);
            const cheap = await runProgram({ "image-pipeline:priceClass": "PriceClass_100" });
            expect(cheap.one(DISTRIBUTION).inputs.priceClass).to.equal("PriceClass_100");
        });

        it("uses the default certificate without custom domains", () => {
            expect(distribution.viewerCertificate).to.deep.equal({ cloudfrontDefaultCertificate: true });
            expect(distribution.aliases ?? []).to.deep.equal([]);
        });

        it("serves custom domains with the ACM certificate over SNI and modern TLS", async () => {
            const certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234";
            const custom = await runProgram({
                "image-pipeline:domainNames": "img.example.com",
                "image-pipeline:certificateArn": certificateArn,
            });
            const inputs = custom.one(DISTRIBUTION).inputs;
            expect(inputs.aliases).to.deep.equal(["img.example.com"]);
            expect(inputs.viewerCertificate).to.deep.equal({
                acmCertificateArn: certificateArn,
                sslSupportMethod: "sni-only",
                minimumProtocolVersion: "TLSv1.2_2021",
            });
            expect(custom.outputs.cdnUrl).to.equal("https://img.example.com");
        });
    });

    describe("invalid config", () => {
        for (const [key, value] of [
            ["allowedResolutions", "300by300"],
            ["uploadExpiresIn", "0"],
            ["priceClass", "PriceClass_1"],
            ["corsOrigins", "http://x.com/path"],
            ["kmsKeyArn", "arn:aws:kms:ap-northeast-2:123456789012:alias/images"],
            ["kmsKeyArn", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
            ["uploadExpiresIn", "3600"],
        ]) {
            it(`fails on ${key}=${value} before any resource is declared`, async () => {
                let failure: Error | undefined;
                const resourcesBefore = await runProgram({ [`image-pipeline:${key}`]: value }).then(
                    () => undefined,
                    (error) => {
                        failure = error;
                    },
                );
                expect(resourcesBefore).to.equal(undefined);
                expect(failure?.message).to.include(`image-pipeline:${key}: "${value}"`);
                const { recorded } = await import("../support/pulumiMocks");
                expect(
                    recorded.filter((r) => r.type.startsWith("aws:")),
                    "no AWS resource declared",
                ).to.have.length(0);
            });
        }
    });
});

describe("bucket configuration order (S3 409 OperationAborted on concurrent bucket updates)", () => {
    it("registers the bucket's sub-resources one after another, and the bucket policy after the last", async () => {
        await runProgram();
        const { dependenciesOf } = await import("../support/pulumiMocks");
        const chain = [
            "images-public-access",
            "images-ownership",
            "images-encryption",
            "images-cors",
            "images-lifecycle",
            "cdn-bucket-policy",
        ];
        for (let i = 1; i < chain.length; i++) {
            expect(dependenciesOf.get(chain[i]), `${chain[i]} waits for ${chain[i - 1]}`).to.include(chain[i - 1]);
        }
    });

    it("applies the multipart clean-up to the whole bucket with the provider's documented empty filter", async () => {
        const run = await runProgram();
        const [rule] = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
        expect(rule.filter).to.deep.equal({});
        expect(rule).to.not.have.property("prefix");
    });
});
