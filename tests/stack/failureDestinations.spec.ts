// Where failures go, under mocks (infra/reliability/failureQueue.ts, infra/reliability/ingestFailures.ts, infra/upload/ingest.ts, infra/upload/cleanup.ts):
// ingest and cleanup get explicit retry and event-age limits and an on-failure destination each (an encrypted,
// TLS-only SQS queue keeping records 14 days); ingest's queue feeds the failure consumer through an event source
// mapping, with a dead-letter queue behind it; the consumer's role, evaluated as AWS would, makes exactly its calls.
import { expect } from "chai";
import { extractMetrics } from "../support/emfDocument";
import { captureStdout } from "../support/stdoutLines";
import { randomUUID } from "crypto";
import { INGEST_INVOCATION } from "../../functions/ingest/retryPolicy";
import { CLEANUP_INVOCATION } from "../../functions/cleanup/retryPolicy";
import { decodeIngestFailureSettings } from "../../functions/ingestFailure/settings";
import { encodeEventKey } from "../../functions/shared/s3Event";
import { putStatus, readStatus } from "../../functions/shared/statusStore";
import { statusWithoutImage } from "../../functions/shared/uploadStatus";
import { uploadKeys } from "../../functions/shared/bucketLayout";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/s3/localS3";
import { defaultKeyPolicy, evaluate, rolePolicyOf } from "../support/iamEvaluation";
import { archiveFiles, loadClosure, withEnv } from "../support/lambdaArchive";
import { startTestS3, TEST_BUCKET } from "../support/localS3";
import { dependenciesOf, MOCK_ACCOUNT, MOCK_REGION } from "../support/pulumiMocks";
import { parsePolicy, ProgramRun, runProgram } from "../support/program";

const FUNCTION = "aws:lambda/function:Function";
const QUEUE = "aws:sqs/queue:Queue";
const CONSUMER_ROLE = "ingest-failures-handler-role";

describe("failure destinations under mocks (infra/reliability/failureQueue.ts, infra/reliability/ingestFailures.ts)", function () {
    this.timeout(120_000);
    let run: ProgramRun;
    const lambda = (name: string) => run.ofType(FUNCTION).find((f) => f.name === name)!;
    const queue = (name: string) => run.ofType(QUEUE).find((q) => q.name === name)!;
    const invokeConfig = (functionName: string) =>
        run
            .ofType("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
            .find((config) => config.inputs.functionName === lambda(functionName).state.name)!;
    before(async () => {
        run = await runProgram();
    });

    it("ingest and cleanup: explicit retries and event age (within Lambda's 0–2 and 60–21,600 s), records of what still fails to a queue of their own", () => {
        // https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
        for (const [name, policy, queueName] of [
            ["ingest-handler", INGEST_INVOCATION, "ingest-failures-queue"],
            ["cleanup-handler", CLEANUP_INVOCATION, "cleanup-failures-queue"],
        ] as const) {
            const config = invokeConfig(name);
            expect(config.inputs, name).to.deep.include({
                maximumRetryAttempts: policy.maximumRetryAttempts,
                maximumEventAgeInSeconds: policy.maximumEventAgeSeconds,
                destinationConfig: { onFailure: { destination: queue(queueName).state.arn } },
            });
            expect(policy.maximumRetryAttempts).to.be.within(0, 2);
            expect(policy.maximumEventAgeSeconds).to.be.within(60, 21_600);
            expect(lambda(name).inputs.timeout, `${name} timeout`).to.equal(policy.timeoutSeconds);
            // Lambda checks the role may send to the destination when the config is put.
            expect(dependenciesOf.get(config.name), name).to.include(`${name}-policy`);
        }
    });

    it("every failure queue is a standard queue, SSE-SQS, keeping records 14 days (SQS's most)", () => {
        const names = ["ingest-failures-queue", "ingest-failures-dead-letters", "cleanup-failures-queue"];
        expect(run.ofType(QUEUE).map((q) => q.name)).to.have.members(names);
        for (const name of names) {
            expect(queue(name).inputs, name).to.include({
                sqsManagedSseEnabled: true,
                messageRetentionSeconds: 1_209_600,
            });
            expect(queue(name).inputs.fifoQueue, `${name}: FIFO queues cannot be destinations`).to.not.equal(true);
        }
    });

    it("every failure queue refuses requests without TLS, even its consumer's (aws:SecureTransport)", async () => {
        const role = rolePolicyOf(run, CONSUMER_ROLE);
        for (const name of ["ingest-failures-queue", "ingest-failures-dead-letters", "cleanup-failures-queue"]) {
            const policy = run
                .ofType("aws:sqs/queuePolicy:QueuePolicy")
                .find((p) => p.inputs.queueUrl === queue(name).state.url);
            expect(policy, name).to.not.equal(undefined);
            const receive = (secure: string) =>
                evaluate({
                    principal: role.arn,
                    identityPolicies: [role.policy],
                    action: "sqs:ReceiveMessage",
                    resource: queue(name).state.arn,
                    resourcePolicy: parsePolicy(policy!.inputs.policy),
                    context: { "aws:SecureTransport": secure },
                });
            expect(await receive("false"), name).to.equal("ExplicitlyDenied");
            if (name === "ingest-failures-queue") expect(await receive("true"), name).to.equal("Allowed");
        }
    });

    it("the ingest failures queue: the consumer's event source (partial batch failures), a dead-letter queue after 5 receives, invisible 6× the consumer's timeout", () => {
        const mapping = run.one("aws:lambda/eventSourceMapping:EventSourceMapping");
        expect(mapping.inputs).to.deep.include({
            eventSourceArn: queue("ingest-failures-queue").state.arn,
            functionName: lambda("ingest-failures-handler").state.name,
            functionResponseTypes: ["ReportBatchItemFailures"],
        });
        expect(dependenciesOf.get(mapping.name)).to.include("ingest-failures-handler-policy");
        const source = queue("ingest-failures-queue").inputs;
        expect(JSON.parse(source.redrivePolicy)).to.deep.equal({
            deadLetterTargetArn: queue("ingest-failures-dead-letters").state.arn,
            maxReceiveCount: 5,
        });
        // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
        expect(source.visibilityTimeoutSeconds).to.be.at.least(6 * lambda("ingest-failures-handler").inputs.timeout);
        expect(queue("ingest-failures-dead-letters").inputs.redrivePolicy, "the dead letters go nowhere").to.equal(
            undefined,
        );
    });

    it("the queues are stack outputs", () => {
        expect(run.outputs.ingestFailureQueueUrl).to.equal(queue("ingest-failures-queue").state.url);
        expect(run.outputs.ingestFailureDeadLetterQueueUrl).to.equal(queue("ingest-failures-dead-letters").state.url);
        expect(run.outputs.cleanupFailureQueueUrl).to.equal(queue("cleanup-failures-queue").state.url);
    });

    it("the consumer gets the bucket and the upload events topic through its settings contract", () => {
        expect(
            decodeIngestFailureSettings(lambda("ingest-failures-handler").inputs.environment.variables),
        ).to.deep.equal({
            bucket: run.one("aws:s3/bucket:Bucket").state.bucket,
            uploadEventsTopicArn: run.ofType("aws:sns/topic:Topic").find((t) => t.name === "upload-events-topic")!.state
                .arn,
            metricsNamespace: "image-pipeline/dev", // <project>/<stack>: the mocks' project and stack
        });
    });

    describe("the roles, evaluated (iam-simulate)", () => {
        const decide = (roleName: string, action: string, resource: string, resourcePolicy?: any) => {
            const role = rolePolicyOf(run, roleName);
            return evaluate({ principal: role.arn, identityPolicies: [role.policy], action, resource, resourcePolicy });
        };
        const arnOf = (name: string) => queue(name).state.arn as string;

        it("ingest and cleanup may send records to their own failure queue only, and nothing else there", async () => {
            for (const [role, own, other] of [
                ["ingest-handler-role", "ingest-failures-queue", "cleanup-failures-queue"],
                ["cleanup-handler-role", "cleanup-failures-queue", "ingest-failures-queue"],
            ]) {
                expect(await decide(role, "sqs:SendMessage", arnOf(own)), role).to.equal("Allowed");
                expect(await decide(role, "sqs:SendMessage", arnOf(other)), role).to.not.equal("Allowed");
                expect(await decide(role, "sqs:ReceiveMessage", arnOf(own)), role).to.not.equal("Allowed");
                expect(await decide(role, "sqs:PurgeQueue", arnOf(own)), role).to.not.equal("Allowed");
            }
        });

        it("the consumer reads and deletes the records of its queue, never sends, purges or reads the cleanup queue", async () => {
            for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"])
                expect(await decide(CONSUMER_ROLE, action, arnOf("ingest-failures-queue")), action).to.equal("Allowed");
            for (const [action, name] of [
                ["sqs:SendMessage", "ingest-failures-queue"],
                ["sqs:PurgeQueue", "ingest-failures-queue"],
                ["sqs:ReceiveMessage", "cleanup-failures-queue"],
                ["sqs:ReceiveMessage", "ingest-failures-dead-letters"],
            ])
                expect(await decide(CONSUMER_ROLE, action, arnOf(name)), `${action} ${name}`).to.not.equal("Allowed");
        });

        it("the consumer publishes to the upload events topic (whose policy lets it) with the topic's key, no other topic", async () => {
            const topic = run.ofType("aws:sns/topic:Topic").find((t) => t.name === "upload-events-topic")!.state.arn;
            const topicPolicy = parsePolicy(run.one("aws:sns/topicPolicy:TopicPolicy").inputs.policy);
            const role = rolePolicyOf(run, CONSUMER_ROLE);
            const publish = (resource: string) =>
                evaluate({
                    principal: role.arn,
                    identityPolicies: [role.policy],
                    action: "sns:Publish",
                    resource,
                    resourcePolicy: topicPolicy,
                    context: { "aws:PrincipalArn": role.arn },
                });
            expect(await publish(topic)).to.equal("Allowed");
            expect(await publish(`arn:aws:sns:${MOCK_REGION}:${MOCK_ACCOUNT}:another-topic`)).to.not.equal("Allowed");
            const topicKey = run.ofType("aws:kms/key:Key").find((key) => key.name === "upload-events-key")!.state.arn;
            for (const action of ["kms:GenerateDataKey", "kms:Decrypt"])
                expect(await decide(CONSUMER_ROLE, action, topicKey, defaultKeyPolicy()), action).to.equal("Allowed");
            expect(await decide(CONSUMER_ROLE, "sns:Subscribe", topic)).to.not.equal("Allowed");
        });

        it("the consumer has no other Lambda, no invoke and no KMS key without SSE-KMS", async () => {
            const statements = rolePolicyOf(run, CONSUMER_ROLE).policy.Statement as Array<{ Action: unknown }>;
            const actions = JSON.stringify(statements.map((s) => s.Action));
            expect(actions).to.not.include("lambda:");
            expect(actions.match(/kms:/g) ?? [], "only the topic key's two actions").to.have.length(2);
        });
    });

    it("ships a closure bundle without sharp that, from the archive's text alone, ends a pending upload as failed", async () => {
        const consumer = lambda("ingest-failures-handler");
        const files = await archiveFiles(consumer);
        expect(JSON.parse(files.get("bundle-manifest.json")!).packages).to.not.include("sharp");
        const s3 = await startTestS3();
        const { UPLOAD_EVENTS_TOPIC_ARN: _, ...env } = consumer.inputs.environment.variables;
        const restoreEnv = withEnv({
            ...env,
            BUCKET_NAME: TEST_BUCKET,
            S3_ENDPOINT: s3.server.url,
            AWS_REGION: LOCAL_REGION,
            AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        });
        const stdout = captureStdout();
        try {
            const keys = uploadKeys(randomUUID(), "png");
            await putStatus(s3.s3, TEST_BUCKET, keys.statusKey, statusWithoutImage("pending", keys.finalKey));
            const { handler } = loadClosure(files.get("index.js")!);
            const record = {
                version: "1.0",
                timestamp: new Date().toISOString(),
                requestContext: {
                    requestId: randomUUID(),
                    functionArn: lambda("ingest-handler").state.arn,
                    condition: "RetriesExhausted",
                    approximateInvokeCount: 3,
                },
                requestPayload: {
                    Records: [
                        {
                            eventName: "ObjectCreated:Put",
                            s3: { bucket: { name: TEST_BUCKET }, object: { key: encodeEventKey(keys.stagingKey) } },
                        },
                    ],
                },
                responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
                responsePayload: { errorType: "InternalError", errorMessage: "We encountered an internal error." },
            };
            const answer = await handler({ Records: [{ messageId: "m1", body: JSON.stringify(record) }] });
            expect(answer).to.deep.equal({ batchItemFailures: [] });
            const stored = await readStatus(s3.s3, TEST_BUCKET, keys.statusKey);
            expect(stored?.status.status).to.equal("failed");
            expect(stored?.status.error?.code).to.equal("processing_failed");
            // Its metric line, in the stack's namespace (the settings carry it), as CloudWatch reads EMF.
            const [failed, ...more] = extractMetrics(stdout.lines()).filter((m) => m.name === "UploadsFailed");
            expect(more).to.deep.equal([]);
            expect(failed).to.include({ namespace: "image-pipeline/dev", unit: "Count", value: 1 });
            expect(failed.document.uploadId).to.equal(keys.id);
        } finally {
            stdout.restore();
            restoreEnv();
            await s3.close();
        }
    });
});
