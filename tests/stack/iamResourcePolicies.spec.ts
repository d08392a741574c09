// The resource side of IAM, evaluated as AWS would (iam-simulate): the bucket policy and the bucket key's policy
// let exactly this distribution's OAC read (with SSE-KMS off, a created key, a key the user brings), and the
// upload grant key (jwtIssuer) serves the presign role alone. The roles' own calls: iam.spec.ts.
import { expect } from "chai";
import { defaultKeyPolicy, evaluate, rolePolicyOf } from "../support/iamEvaluation";
import { BROUGHT_KEY, INGEST_ROLE, OTHER_KEY, PRESIGN_ROLE, RESIZER_ROLE, Stack, stack } from "../support/iamStacks";
import { MOCK_ACCOUNT } from "../support/pulumiMocks";

describe("IAM, evaluated: CloudFront's access to the bucket and its key, and the upload grant key", () => {
    let plain: Stack;
    let created: Stack;
    let brought: Stack;
    before(async () => {
        plain = await stack({});
        created = await stack({ "image-pipeline:kmsKeyArn": "create" });
        brought = await stack({ "image-pipeline:kmsKeyArn": BROUGHT_KEY });
    });

    describe("CloudFront's OAC and the KMS key", () => {
        const distributionArn = () => created.run.one("aws:cloudfront/distribution:Distribution").state.arn;

        it("the bucket policy lets this distribution read originals and variants, never staged uploads or statuses", async () => {
            const asCloudFront = (key: string) =>
                evaluate({
                    principal: "cloudfront.amazonaws.com",
                    identityPolicies: [],
                    action: "s3:GetObject",
                    resource: `${plain.bucketArn}/${key}`,
                    resourcePolicy: plain.bucketPolicy,
                    context: { "aws:SourceArn": plain.run.one("aws:cloudfront/distribution:Distribution").state.arn },
                });
            expect(await asCloudFront("uploads/9b1d.jpg")).to.equal("Allowed");
            expect(await asCloudFront("300x300/uploads/9b1d.jpg")).to.equal("Allowed");
            expect(await asCloudFront("incoming/9b1d.jpg")).to.equal("ExplicitlyDenied");
            expect(await asCloudFront("incoming/auth0.7Ca/9b1d.jpg")).to.equal("ExplicitlyDenied");
            expect(await asCloudFront("status/9b1d.json")).to.equal("ExplicitlyDenied");
        });

        it("a created key's policy lets this distribution, and no other, decrypt", async () => {
            // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html (SSE-KMS)
            const asCloudFront = (sourceArn: string, action = "kms:Decrypt") =>
                evaluate({
                    principal: "cloudfront.amazonaws.com",
                    identityPolicies: [],
                    action,
                    resource: created.keyArn!,
                    resourcePolicy: created.keyPolicy,
                    context: { "aws:SourceArn": sourceArn },
                });
            expect(await asCloudFront(distributionArn())).to.equal("Allowed");
            expect(await asCloudFront(`arn:aws:cloudfront::${MOCK_ACCOUNT}:distribution/EOTHER`)).to.not.equal(
                "Allowed",
            );
            expect(await asCloudFront(distributionArn(), "kms:Encrypt")).to.not.equal("Allowed");
        });

        it("a brought key's stack exports the statement to add; with it in the key policy, this distribution may decrypt", async () => {
            const statement = JSON.parse(brought.run.outputs.kmsKeyPolicyStatement as string);
            const distribution = brought.run.one("aws:cloudfront/distribution:Distribution").state.arn;
            const keyPolicy = { Version: "2012-10-17", Statement: [...defaultKeyPolicy().Statement, statement] };
            const asCloudFront = (sourceArn: string) =>
                evaluate({
                    principal: "cloudfront.amazonaws.com",
                    identityPolicies: [],
                    action: "kms:Decrypt",
                    resource: BROUGHT_KEY,
                    resourcePolicy: keyPolicy,
                    context: { "aws:SourceArn": sourceArn },
                });
            expect(await asCloudFront(distribution)).to.equal("Allowed");
            expect(await asCloudFront(`arn:aws:cloudfront::${MOCK_ACCOUNT}:distribution/EOTHER`)).to.not.equal(
                "Allowed",
            );
            // Without the statement (the key policy as brought), CloudFront cannot read: hence the output.
            expect(
                await evaluate({
                    principal: "cloudfront.amazonaws.com",
                    identityPolicies: [],
                    action: "kms:Decrypt",
                    resource: BROUGHT_KEY,
                    resourcePolicy: defaultKeyPolicy(),
                    context: { "aws:SourceArn": distribution },
                }),
            ).to.not.equal("Allowed");
        });
    });

    // jwtIssuer: upload grants are signed with a key derived from the stack's HMAC KMS key (functions/presign/grantKey.ts).
    describe("the upload grant key (jwtIssuer): the presign role may derive from it, nothing else", () => {
        let withAuth: Stack;
        let grantKey: string;
        before(async () => {
            withAuth = await stack({
                "image-pipeline:jwtIssuer": "https://issuer.example.com",
                "image-pipeline:jwtAudience": "app",
            });
            grantKey = withAuth.run.ofType("aws:kms/key:Key").find((key) => key.name === "uploads-grant-key")!
                .state.arn;
        });
        // The grant key keeps KMS's default key policy: the account's IAM policies decide.
        const kmsCall = (role: string, action: string, resource: string, algorithm?: string) =>
            evaluate({
                principal: rolePolicyOf(withAuth.run, role).arn,
                identityPolicies: [rolePolicyOf(withAuth.run, role).policy],
                action,
                resource,
                resourcePolicy: defaultKeyPolicy(),
                context: algorithm ? { "kms:MacAlgorithm": algorithm } : {},
            });

        it("GenerateMac with HMAC_SHA_256 on the grant key is allowed; another algorithm, another key, VerifyMac or key management are not", async () => {
            expect(await kmsCall(PRESIGN_ROLE, "kms:GenerateMac", grantKey, "HMAC_SHA_256")).to.equal("Allowed");
            expect(await kmsCall(PRESIGN_ROLE, "kms:GenerateMac", grantKey, "HMAC_SHA_512")).to.not.equal("Allowed");
            expect(await kmsCall(PRESIGN_ROLE, "kms:GenerateMac", OTHER_KEY, "HMAC_SHA_256")).to.not.equal("Allowed");
            for (const action of ["kms:VerifyMac", "kms:Decrypt", "kms:DescribeKey", "kms:ScheduleKeyDeletion"])
                expect(await kmsCall(PRESIGN_ROLE, action, grantKey, "HMAC_SHA_256"), action).to.not.equal("Allowed");
        });

        it("no other role may use the grant key", async () => {
            for (const role of [RESIZER_ROLE, INGEST_ROLE])
                expect(await kmsCall(role, "kms:GenerateMac", grantKey, "HMAC_SHA_256"), role).to.not.equal("Allowed");
        });
    });
});
