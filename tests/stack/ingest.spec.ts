// The ingest function in the stack (infra/upload/ingest.ts, infra/storage/imageBucket.ts, infra/upload/presignApi.ts) under mocks:
// S3 runs it for every object created under incoming/, from the Resizer's own archive; incoming/ is emptied
// after a day; the status route exists.
import { expect } from "chai";
import { decodeIngestSettings } from "../../functions/ingest/settings";
import { dependenciesOf } from "../support/pulumiMocks";
import { parsePolicy, ProgramRun, runProgram } from "../support/program";
import { defaultKeyPolicy, evaluate, rolePolicyOf } from "../support/iamEvaluation";

const FUNCTION = "aws:lambda/function:Function";
const INGEST_ROLE = "ingest-handler-role";
const TOPIC = "aws:sns/topic:Topic";

describe("ingest under mocks (infra/upload/ingest.ts)", () => {
    let run: ProgramRun;
    const lambda = (name: string) => run.ofType(FUNCTION).find((f) => f.name === name)!;
    before(async () => {
        run = await runProgram();
    });

    it("the bucket notification sends every ObjectCreated under incoming/ (and nothing else) to the ingest Lambda", () => {
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
        const notification = run.one("aws:s3/bucketNotification:BucketNotification");
        expect(notification.inputs.bucket).to.equal(run.one("aws:s3/bucket:Bucket").state.bucket);
        // The bucket's one configuration also holds cleanup's subscription (tests/stack/cleanup.spec.ts).
        const toIngest = notification.inputs.lambdaFunctions.filter(
            (entry: { lambdaFunctionArn: string }) => entry.lambdaFunctionArn === lambda("ingest-handler").state.arn,
        );
        expect(toIngest).to.deep.equal([
            {
                lambdaFunctionArn: lambda("ingest-handler").state.arn,
                events: ["s3:ObjectCreated:*"],
                filterPrefix: "incoming/",
            },
        ]);
        expect(notification.inputs.topics ?? [], "no other targets").to.deep.equal([]);
        expect(notification.inputs.queues ?? []).to.deep.equal([]);
    });

    it("only S3, for this bucket in this account, may invoke it; the notification is made after the permission", () => {
        const permission = run
            .ofType("aws:lambda/permission:Permission")
            .find((p) => p.inputs.function === lambda("ingest-handler").state.name)!;
        expect(permission.inputs).to.include({
            action: "lambda:InvokeFunction",
            principal: "s3.amazonaws.com",
            sourceArn: run.one("aws:s3/bucket:Bucket").state.arn,
        });
        expect(permission.inputs.sourceAccount).to.match(/^\d{12}$/);
        // S3 checks it can invoke the function when the notification is put: the permission must exist first.
        expect(dependenciesOf.get("bucket-events-notification")).to.include(permission.name);
    });

    it("runs ingest.js from the Resizer's archive (one bundle of sharp), on the Resizer's architecture", async () => {
        const ingest = lambda("ingest-handler");
        const resizer = lambda("resizer-handler");
        expect(ingest.inputs.handler).to.equal("ingest.handler");
        expect(ingest.inputs.architectures).to.deep.equal(resizer.inputs.architectures);
        const [ingestAssets, resizerAssets] = await Promise.all([
            ingest.inputs.code.assets,
            resizer.inputs.code.assets,
        ]);
        expect(await ingestAssets.node_modules.path).to.equal(await resizerAssets.node_modules.path);
        expect(await ingestAssets["ingest.js"].text).to.include("already_ingested");
        expect(await ingestAssets["ingest.js"].text).to.include('require("sharp")');
    });

    it("gets its settings from the config, through the settings contract", () => {
        const settings = decodeIngestSettings(lambda("ingest-handler").inputs.environment.variables);
        expect(settings.bucket).to.equal(run.one("aws:s3/bucket:Bucket").state.bucket);
        expect(settings.allowedResolutions).to.deep.equal(["300x300", "640x480", "1280x720"]);
    });

    it("a lifecycle rule empties incoming/ after one day; the multipart clean-up stays", () => {
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html
        const rules = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
        expect(rules.find((rule: any) => rule.id === "expire-staged-uploads")).to.deep.equal({
            id: "expire-staged-uploads",
            status: "Enabled",
            filter: { prefix: "incoming/" },
            expiration: { days: 1 },
        });
        expect(rules.map((rule: any) => rule.id)).to.include("abort-incomplete-multipart-uploads");
    });

    it("the upload API routes GET /uploads/{id} (the status) to the presign function", () => {
        const routes = run.ofType("aws:apigatewayv2/route:Route").map((route) => route.inputs.routeKey);
        expect(routes).to.include("GET /uploads/{id}");
    });

    describe("the upload events topic (infra/upload/uploadEvents.ts)", () => {
        const topic = () => run.ofType(TOPIC).find((t) => t.name === "upload-events-topic")!;
        const topicKey = () => run.ofType("aws:kms/key:Key").find((key) => key.name === "upload-events-key")!;
        const topicPolicy = () => parsePolicy(run.one("aws:sns/topicPolicy:TopicPolicy").inputs.policy);
        /** A call as AWS evaluates it: the caller's identity policy, then the topic's or the key's policy. */
        const publish = (principal: string, identityPolicies: any[], context: Record<string, string> = {}) =>
            evaluate({
                principal,
                identityPolicies,
                action: "sns:Publish",
                resource: topic().state.arn,
                resourcePolicy: topicPolicy(),
                context: { "aws:PrincipalArn": principal, ...context },
            });
        const ingestRole = () => rolePolicyOf(run, INGEST_ROLE);
        const otherRole = (name: string) => rolePolicyOf(run, name);
        const adminPolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

        it("is encrypted at rest with a KMS key of its own, rotated (SSE: https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html)", () => {
            expect(topic().inputs.kmsMasterKeyId).to.equal(topicKey().state.arn);
            expect(topicKey().inputs.enableKeyRotation).to.equal(true);
        });

        it("is a stack output, uploadEventsTopicArn, and the ingest function is told to publish there", () => {
            expect(run.outputs.uploadEventsTopicArn).to.equal(topic().state.arn);
            const settings = decodeIngestSettings(lambda("ingest-handler").inputs.environment.variables);
            expect(settings.uploadEventsTopicArn).to.equal(topic().state.arn);
        });

        it("its policy is on this topic, and lets the ingest role publish over TLS", async () => {
            expect(run.one("aws:sns/topicPolicy:TopicPolicy").inputs.arn).to.equal(topic().state.arn);
            const role = ingestRole();
            expect(await publish(role.arn, [role.policy])).to.equal("Allowed");
        });

        it("refuses a publish without TLS, even by the ingest role (aws:SecureTransport, https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html#enforce-encryption-data-in-transit)", async () => {
            const role = ingestRole();
            expect(await publish(role.arn, [role.policy], { "aws:SecureTransport": "false" })).to.equal(
                "ExplicitlyDenied",
            );
        });

        it("refuses every other publisher, even one whose IAM allows everything (the Resizer, presign, an admin)", async () => {
            for (const name of ["resizer-handler-role", "uploads-handler-role"]) {
                const role = otherRole(name);
                expect(await publish(role.arn, [role.policy]), name).to.not.equal("Allowed");
            }
            const admin = "arn:aws:iam::123456789012:role/admin";
            expect(await publish(admin, [adminPolicy])).to.equal("ExplicitlyDenied");
        });

        it("the ingest role may publish only to this topic, and use only the topic's key and the bucket's", async () => {
            const role = ingestRole();
            const other = `${topic().state.arn}-other`;
            expect(
                await evaluate({
                    principal: role.arn,
                    identityPolicies: [role.policy],
                    action: "sns:Publish",
                    resource: other,
                }),
            ).to.not.equal("Allowed");
            for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
                expect(
                    await evaluate({
                        principal: role.arn,
                        identityPolicies: [role.policy],
                        action,
                        resource: topicKey().state.arn,
                        resourcePolicy: defaultKeyPolicy(), // the topic key keeps KMS's default: IAM decides
                    }),
                    action,
                ).to.equal("Allowed");
            }
            expect(
                await evaluate({
                    principal: role.arn,
                    identityPolicies: [role.policy],
                    action: "kms:ScheduleKeyDeletion",
                    resource: topicKey().state.arn,
                    resourcePolicy: defaultKeyPolicy(),
                }),
            ).to.not.equal("Allowed");
            for (const action of ["sns:Subscribe", "sns:SetTopicAttributes", "sns:DeleteTopic"]) {
                expect(
                    await evaluate({
                        principal: role.arn,
                        identityPolicies: [role.policy],
                        action,
                        resource: topic().state.arn,
                    }),
                    action,
                ).to.not.equal("Allowed");
            }
        });
    });

    describe("eager variants: the ingest role writes exactly the eager sizes' variants", () => {
        const bucketObject = (r: ProgramRun, key: string) => `${r.one("aws:s3/bucket:Bucket").state.arn}/${key}`;
        const putBy = async (r: ProgramRun, key: string) => {
            const role = rolePolicyOf(r, INGEST_ROLE);
            return evaluate({
                principal: role.arn,
                identityPolicies: [role.policy],
                action: "s3:PutObject",
                resource: bucketObject(r, key),
                resourcePolicy: parsePolicy(r.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy),
            });
        };

        it("none by default: no variant key may be written", async () => {
            expect(await putBy(run, "300x300/uploads/9b1d.jpg")).to.not.equal("Allowed");
        });

        it("eagerResolutions 300x300,1280x720: those sizes' variant keys, no other size, and the sizes reach the function", async () => {
            const eager = await runProgram({ "image-pipeline:eagerResolutions": "300x300,1280x720" });
            for (const key of ["300x300/uploads/9b1d.jpg", "1280x720/uploads/owner_1/9b1d.jpg"])
                expect(await putBy(eager, key), key).to.equal("Allowed");
            for (const key of ["640x480/uploads/9b1d.jpg", "300x300/status/9b1d.json", "300x300/incoming/9b1d.jpg"])
                expect(await putBy(eager, key), key).to.not.equal("Allowed");
            const settings = decodeIngestSettings(
                eager.ofType(FUNCTION).find((f) => f.name === "ingest-handler")!.inputs.environment.variables,
            );
            expect(settings.eager?.resolutions).to.deep.equal(["300x300", "1280x720"]);
            run = await runProgram(); // the other tests read the default stack
        });

        it("with autoFormat the eager sizes' format keys too (<W>x<H>/avif|webp/uploads/…), only the enabled formats; none without autoFormat", async () => {
            const webpOnly = await runProgram({
                "image-pipeline:eagerResolutions": "300x300",
                "image-pipeline:formats": "webp",
            });
            expect(await putBy(webpOnly, "300x300/webp/uploads/9b1d.jpg")).to.equal("Allowed");
            for (const key of ["300x300/avif/uploads/9b1d.jpg", "640x480/webp/uploads/9b1d.jpg"])
                expect(await putBy(webpOnly, key), key).to.not.equal("Allowed");
            const off = await runProgram({
                "image-pipeline:eagerResolutions": "300x300",
                "image-pipeline:autoFormat": "false",
            });
            expect(await putBy(off, "300x300/uploads/9b1d.jpg")).to.equal("Allowed");
            for (const key of ["300x300/avif/uploads/9b1d.jpg", "300x300/webp/uploads/9b1d.jpg"])
                expect(await putBy(off, key), key).to.not.equal("Allowed");
            run = await runProgram(); // the other tests read the default stack
        });
    });
});
