// The cleanup function in the stack (infra/upload/cleanup.ts, infra/storage/bucketEvents.ts) under mocks: the bucket's one
// notification configuration sends incoming/ to ingest and uploads/ (created or removed) to cleanup; only S3 may
// invoke it; its role, evaluated as AWS would, may delete exactly variants and statuses, list one image's keys, read
// the metadata of originals and variants (HEAD) and invalidate this distribution, nothing more; its timeout leaves
// room for the invalidation's retries; its serialized closure runs from the archive alone.
import { expect } from "chai";
import { captureStdout } from "../support/stdoutLines";
import { randomUUID } from "crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { decodeCleanupSettings } from "../../functions/cleanup/settings";
import { INVALIDATION_RETRY_BUDGET_MS } from "../../functions/cleanup/invalidate";
import { originalMetadata } from "../../functions/shared/imageObjectMetadata";
import { encodeEventKey } from "../../functions/shared/s3Event";
import { Decision, evaluate, rolePolicyOf } from "../support/iamEvaluation";
import { archiveFiles, loadClosure, withEnv } from "../support/lambdaArchive";
import { startTestS3, TEST_BUCKET } from "../support/localS3";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/s3/localS3";
import { dependenciesOf, MOCK_ACCOUNT } from "../support/pulumiMocks";
import { parsePolicy, ProgramRun, runProgram } from "../support/program";

const FUNCTION = "aws:lambda/function:Function";
const CLEANUP_ROLE = "cleanup-handler-role";

describe("cleanup under mocks (infra/upload/cleanup.ts, infra/storage/bucketEvents.ts)", function () {
    this.timeout(120_000);
    let run: ProgramRun;
    const lambda = (name: string) => run.ofType(FUNCTION).find((f) => f.name === name)!;
    const bucketArn = () => run.one("aws:s3/bucket:Bucket").state.arn as string;
    const distributionArn = () => run.one("aws:cloudfront/distribution:Distribution").state.arn as string;
    before(async () => {
        run = await runProgram();
    });

    it("the bucket's ONE notification configuration: incoming/ → ingest (created), uploads/ → cleanup (created, removed)", () => {
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
        const notification = run.one("aws:s3/bucketNotification:BucketNotification");
        expect(notification.inputs.bucket).to.equal(run.one("aws:s3/bucket:Bucket").state.bucket);
        expect(notification.inputs.lambdaFunctions).to.deep.equal([
            {
                lambdaFunctionArn: lambda("ingest-handler").state.arn,
                events: ["s3:ObjectCreated:*"],
                filterPrefix: "incoming/",
            },
            {
                lambdaFunctionArn: lambda("cleanup-handler").state.arn,
                events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                filterPrefix: "uploads/",
            },
        ]);
    });

    it("only S3, for this bucket in this account, may invoke cleanup; the notification is put after both permissions", () => {
        const permissions = run.ofType("aws:lambda/permission:Permission");
        const forCleanup = permissions.filter((p) => p.inputs.function === lambda("cleanup-handler").state.name);
        expect(forCleanup).to.have.length(1);
        expect(forCleanup[0].inputs).to.include({
            action: "lambda:InvokeFunction",
            principal: "s3.amazonaws.com",
            sourceArn: bucketArn(),
            sourceAccount: MOCK_ACCOUNT,
        });
        const forIngest = permissions.find((p) => p.inputs.function === lambda("ingest-handler").state.name)!;
        expect(dependenciesOf.get("bucket-events-notification")).to.include.members([
            forCleanup[0].name,
            forIngest.name,
        ]);
    });

    it("gets the bucket, this distribution's id and the sizes through the settings contract", () => {
        const settings = decodeCleanupSettings(lambda("cleanup-handler").inputs.environment.variables);
        expect(settings).to.deep.equal({
            bucket: run.one("aws:s3/bucket:Bucket").state.bucket,
            distributionId: `${run.one("aws:cloudfront/distribution:Distribution").name}-id`, // the mocks' id
            allowedResolutions: ["300x300", "640x480", "1280x720"],
            metricsNamespace: "image-pipeline/dev", // <project>/<stack>: the mocks' project and stack
        });
    });

    describe("its role, evaluated (iam-simulate)", () => {
        const call = (target: ProgramRun, action: string, resource: string, context: Record<string, string> = {}) => {
            const role = rolePolicyOf(target, CLEANUP_ROLE);
            return evaluate({
                principal: role.arn,
                identityPolicies: [role.policy],
                action,
                resource,
                context,
                resourcePolicy: action.startsWith("s3:")
                    ? parsePolicy(target.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy)
                    : undefined,
            });
        };
        const object = (key: string) => `${bucketArn()}/${key}`;

        it("may delete variants and statuses, list one image's keys, HEAD originals and variants, invalidate this distribution", async () => {
            for (const key of ["300x300/uploads/9b1d.jpg", "1280x720/uploads/auth0.7Ca/9b1d.jpg", "status/9b1d.json"])
                expect(await call(run, "s3:DeleteObject", object(key)), key).to.equal("Allowed");
            for (const prefix of ["640x480/uploads/9b1d.jpg", "uploads/9b1d.jpg", "status/9b1d.json"])
                expect(await call(run, "s3:ListBucket", bucketArn(), { "s3:prefix": prefix }), prefix).to.equal(
                    "Allowed",
                );
            // HEAD is s3:GetObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
            for (const key of ["uploads/9b1d.jpg", "300x300/uploads/9b1d.jpg", "640x480/avif/uploads/o/9b1d.jpg"])
                expect(await call(run, "s3:GetObject", object(key)), key).to.equal("Allowed");
            expect(await call(run, "cloudfront:CreateInvalidation", distributionArn())).to.equal("Allowed");
        });

        it("nothing more: no original or staged upload deleted, no staged upload or status read, nothing written, no other distribution", async () => {
            const denied: Array<[string, string]> = [
                ["s3:DeleteObject", object("uploads/9b1d.jpg")],
                ["s3:DeleteObject", object("uploads/1x1/uploads/9b1d.jpg")], // matches the variant pattern too
                ["s3:DeleteObject", object("incoming/9b1d.jpg")],
                ["s3:DeleteObject", object("incoming/1x1/uploads/9b1d.jpg")],
                ["s3:DeleteObject", object("index.html")],
                ["s3:GetObject", object("status/9b1d.json")],
                ["s3:GetObject", object("incoming/9b1d.jpg")],
                ["s3:GetObject", object("incoming/1x1/uploads/9b1d.jpg")], // matches the variant pattern too
                ["s3:GetObject", object("index.html")],
                ["s3:PutObject", object("300x300/uploads/9b1d.jpg")],
                ["s3:PutObject", object("status/9b1d.json")],
                [
                    "cloudfront:CreateInvalidation",
                    `arn:aws:cloudfront::${MOCK_ACCOUNT}:distribution/EOTHERDISTRIBUTION`,
                ],
                ["cloudfront:UpdateDistribution", distributionArn()],
            ];
            for (const [action, resource] of denied)
                expect(await call(run, action, resource), `${action} ${resource}`).to.not.equal("Allowed");
            for (const context of [{ "s3:prefix": "" }, { "s3:prefix": "incoming/" }, {}] as Record<string, string>[])
                expect(
                    await call(run, "s3:ListBucket", bucketArn(), { ...context, "s3:delimiter": "/" }),
                    JSON.stringify(context),
                ).to.not.equal("Allowed");
        });

        it("uses no KMS key, even with SSE-KMS (it reads and writes no object's bytes)", async () => {
            const withKey = await runProgram({ "image-pipeline:kmsKeyArn": "create" });
            const statements = rolePolicyOf(withKey, CLEANUP_ROLE).policy.Statement as Array<{ Action: unknown }>;
            expect(JSON.stringify(statements.map((s) => s.Action))).to.not.include("kms:");
        });

        it('with any size allowed, may also list the root\'s prefixes (Prefix "", Delimiter "/") and nothing else there', async () => {
            // The well-known root listing condition: https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html
            const anySize = await runProgram({
                "image-pipeline:allowAnyResolution": "true",
                "image-pipeline:allowedResolutions": "",
            });
            const arn = anySize.one("aws:s3/bucket:Bucket").state.arn;
            const decide = (context: Record<string, string>): Promise<Decision> =>
                call(anySize, "s3:ListBucket", arn, context);
            expect(await decide({ "s3:prefix": "", "s3:delimiter": "/" })).to.equal("Allowed");
            expect(await decide({ "s3:prefix": "" }), "a flat listing of every key").to.not.equal("Allowed");
            expect(await decide({ "s3:prefix": "incoming/", "s3:delimiter": "/" })).to.not.equal("Allowed");
            expect(
                await call(run, "s3:ListBucket", bucketArn(), { "s3:prefix": "", "s3:delimiter": "/" }),
            ).to.not.equal("Allowed");
        });
    });

    it("times out after the invalidation's retry budget with as much again to spare (listing, deleting, the last attempt)", () => {
        expect(lambda("cleanup-handler").inputs.timeout * 1000).to.be.at.least(2 * INVALIDATION_RETRY_BUDGET_MS);
    });

    it("ships a closure bundle with the CloudFront client and no sharp, which runs from the archive's text alone", async () => {
        const cleanup = lambda("cleanup-handler");
        expect(cleanup.inputs.handler).to.equal("index.handler");
        const files = await archiveFiles(cleanup);
        const manifest = JSON.parse(files.get("bundle-manifest.json")!);
        expect(manifest.packages).to.include.members(["@aws-sdk/client-s3", "@aws-sdk/client-cloudfront"]);
        expect(manifest.packages).to.not.include("sharp");

        const s3 = await startTestS3();
        const restoreEnv = withEnv({
            ...cleanup.inputs.environment.variables,
            BUCKET_NAME: TEST_BUCKET,
            S3_ENDPOINT: s3.server.url,
            AWS_REGION: LOCAL_REGION,
            AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        });
        const stdout = captureStdout();
        try {
            const { handler } = loadClosure(files.get("index.js")!);
            // An original ingest writes for the first time: nothing stale, so no CloudFront call (none can be made here).
            const key = `uploads/${randomUUID()}.jpg`;
            const body = Buffer.from("image");
            await s3.s3.send(
                new PutObjectCommand({
                    Bucket: TEST_BUCKET,
                    Key: key,
                    Body: body,
                    Metadata: originalMetadata(key, body),
                }),
            );
            await handler({
                Records: [
                    {
                        eventName: "ObjectCreated:Put",
                        s3: { bucket: { name: TEST_BUCKET }, object: { key: encodeEventKey(key), sequencer: "01" } },
                    },
                ],
            });
            const lines = stdout.lines().map((line) => JSON.parse(line));
            expect(lines.find((line) => line.outcome === "nothing_stale")).to.include({ service: "cleanup", key });
        } finally {
            stdout.restore();
            restoreEnv();
            await s3.close();
        }
    });
});
