// Every S3 and KMS call the Lambda roles make, evaluated as AWS would (iam-simulate) on the policies the
// program produces, with SSE-KMS off, with a created key and with a key the user brings; and calls outside the
// design, which must be denied. The Fargate task role must decide as the Lambda Resizer role does. CloudFront's
// access and the upload grant key: iamResourcePolicies.spec.ts.
import { expect } from "chai";
import { defaultKeyPolicy, Decision, evaluate, rolePolicyOf } from "../support/iamEvaluation";
import { parsePolicy } from "../support/program";
import {
    BROUGHT_KEY,
    call,
    INGEST_FAILURE_ROLE,
    INGEST_ROLE,
    OTHER_KEY,
    PRESIGN_ROLE,
    RESIZER_ROLE,
    Stack,
    stack,
} from "../support/iamStacks";

describe("IAM, evaluated: each role may make exactly the S3 and KMS calls its handler makes", () => {
    let plain: Stack;
    let created: Stack;
    let brought: Stack;
    before(async () => {
        plain = await stack({});
        created = await stack({ "image-pipeline:kmsKeyArn": "create" });
        brought = await stack({ "image-pipeline:kmsKeyArn": BROUGHT_KEY });
    });
    const object = (target: Stack, key: string) => `${target.bucketArn}/${key}`;

    for (const mode of ["plain", "created", "brought"] as const) {
        const target = () => ({ plain, created, brought })[mode];
        describe(`SSE ${mode === "plain" ? "AES256 (no KMS)" : mode === "created" ? "KMS, key created by the stack" : "KMS, key brought by the user"}`, () => {
            it("the presign role: a presigned PUT/POST into staging (incoming/, incoming/<sub>/) is allowed, never into uploads/", async () => {
                for (const key of ["incoming/9b1d.png", "incoming/auth0.7Ca/9b1d.png"]) {
                    expect(await call(target(), PRESIGN_ROLE, "s3:PutObject", object(target(), key)), key).to.equal(
                        "Allowed",
                    );
                }
                for (const key of ["uploads/9b1d.png", "uploads/auth0.7Ca/9b1d.png", "status/9b1d.json"]) {
                    expect(await call(target(), PRESIGN_ROLE, "s3:PutObject", object(target(), key)), key).to.not.equal(
                        "Allowed",
                    );
                }
            });

            it("the presign role: multipart uploads (the /s3 routes) list parts and abort in staging only; PutObject covers create, parts and complete", async () => {
                const t = target();
                for (const key of ["incoming/9b1d.jpg", "incoming/auth0.7Ca/9b1d.jpg"]) {
                    for (const action of ["s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"]) {
                        expect(await call(t, PRESIGN_ROLE, action, object(t, key)), `${action} ${key}`).to.equal(
                            "Allowed",
                        );
                    }
                }
                for (const key of ["uploads/9b1d.jpg", "status/9b1d.json", "300x300/uploads/9b1d.jpg"]) {
                    for (const action of ["s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"]) {
                        expect(await call(t, PRESIGN_ROLE, action, object(t, key)), `${action} ${key}`).to.not.equal(
                            "Allowed",
                        );
                    }
                }
                expect(await call(t, PRESIGN_ROLE, "s3:ListBucketMultipartUploads", t.bucketArn)).to.not.equal(
                    "Allowed",
                );
            });

            it("the presign role: reading, deleting, listing and writing variants are denied", async () => {
                const t = target();
                expect(await call(t, PRESIGN_ROLE, "s3:GetObject", object(t, "uploads/9b1d.png"))).to.not.equal(
                    "Allowed",
                );
                expect(await call(t, PRESIGN_ROLE, "s3:DeleteObject", object(t, "uploads/9b1d.png"))).to.not.equal(
                    "Allowed",
                );
                expect(await call(t, PRESIGN_ROLE, "s3:PutObject", object(t, "300x300/uploads/9b1d.png"))).to.not.equal(
                    "Allowed",
                );
                expect(await call(t, PRESIGN_ROLE, "s3:PutObject", object(t, "index.html"))).to.not.equal("Allowed");
                expect(
                    await call(t, PRESIGN_ROLE, "s3:ListBucket", t.bucketArn, { "s3:prefix": "uploads/" }),
                ).to.not.equal("Allowed");
            });

            it("the Resizer role: reads originals and variants, writes variants, lists the upload and variant prefixes", async () => {
                const t = target();
                expect(await call(t, RESIZER_ROLE, "s3:GetObject", object(t, "uploads/9b1d.jpg"))).to.equal("Allowed");
                expect(await call(t, RESIZER_ROLE, "s3:GetObject", object(t, "300x300/uploads/9b1d.jpg"))).to.equal(
                    "Allowed",
                );
                expect(await call(t, RESIZER_ROLE, "s3:PutObject", object(t, "300x300/uploads/9b1d.jpg"))).to.equal(
                    "Allowed",
                );
                // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html: with s3:ListBucket a missing key is 404 NoSuchKey.
                for (const prefix of ["uploads/9b1d.jpg", "uploads/auth0.7Ca/9b1d.jpg", "300x300/uploads/9b1d.jpg"]) {
                    expect(
                        await call(t, RESIZER_ROLE, "s3:ListBucket", t.bucketArn, { "s3:prefix": prefix }),
                        prefix,
                    ).to.equal("Allowed");
                }
            });

            it("the Resizer role: writing or deleting originals, deleting variants, other keys and other prefixes are denied", async () => {
                const t = target();
                expect(await call(t, RESIZER_ROLE, "s3:PutObject", object(t, "uploads/9b1d.jpg"))).to.equal(
                    "ExplicitlyDenied",
                );
                // "*x*/uploads/*" also matches keys under uploads/: the explicit Deny keeps originals out of reach.
                expect(
                    await call(t, RESIZER_ROLE, "s3:PutObject", object(t, "uploads/300x300/uploads/9b1d.jpg")),
                ).to.equal("ExplicitlyDenied");
                expect(await call(t, RESIZER_ROLE, "s3:DeleteObject", object(t, "uploads/9b1d.jpg"))).to.not.equal(
                    "Allowed",
                );
                expect(
                    await call(t, RESIZER_ROLE, "s3:DeleteObject", object(t, "300x300/uploads/9b1d.jpg")),
                ).to.not.equal("Allowed");
                expect(await call(t, RESIZER_ROLE, "s3:GetObject", object(t, "private/notes.txt"))).to.not.equal(
                    "Allowed",
                );
                for (const prefix of ["", "private/", "300x300/"]) {
                    expect(
                        await call(t, RESIZER_ROLE, "s3:ListBucket", t.bucketArn, { "s3:prefix": prefix }),
                        JSON.stringify(prefix),
                    ).to.not.equal("Allowed");
                }
                expect(await call(t, RESIZER_ROLE, "s3:ListBucket", t.bucketArn), "no prefix at all").to.not.equal(
                    "Allowed",
                );
            });

            it("the presign role reads upload statuses (status/, with status/ listable for a 404), nothing staged", async () => {
                const t = target();
                expect(await call(t, PRESIGN_ROLE, "s3:GetObject", object(t, "status/9b1d.json"))).to.equal("Allowed");
                expect(
                    await call(t, PRESIGN_ROLE, "s3:ListBucket", t.bucketArn, { "s3:prefix": "status/9b1d.json" }),
                ).to.equal("Allowed");
                expect(await call(t, PRESIGN_ROLE, "s3:PutObject", object(t, "status/9b1d.json"))).to.not.equal(
                    "Allowed",
                );
                expect(await call(t, PRESIGN_ROLE, "s3:GetObject", object(t, "incoming/9b1d.png"))).to.not.equal(
                    "Allowed",
                );
            });

            it("the ingest role: reads and deletes staged uploads, writes originals and statuses, reads statuses, lists incoming/", async () => {
                const t = target();
                for (const key of ["incoming/9b1d.jpg", "incoming/auth0.7Ca/9b1d.jpg"]) {
                    expect(await call(t, INGEST_ROLE, "s3:GetObject", object(t, key)), key).to.equal("Allowed");
                    expect(await call(t, INGEST_ROLE, "s3:DeleteObject", object(t, key)), key).to.equal("Allowed");
                }
                expect(await call(t, INGEST_ROLE, "s3:PutObject", object(t, "uploads/9b1d.jpg"))).to.equal("Allowed");
                expect(await call(t, INGEST_ROLE, "s3:PutObject", object(t, "status/9b1d.json"))).to.equal("Allowed");
                // A conditional write of pending that finds a status reads whether it is final (retryPolicy.ts).
                expect(await call(t, INGEST_ROLE, "s3:GetObject", object(t, "status/9b1d.json"))).to.equal("Allowed");
                expect(
                    await call(t, INGEST_ROLE, "s3:ListBucket", t.bucketArn, { "s3:prefix": "incoming/9b1d.jpg" }),
                ).to.equal("Allowed");
            });

            it("the ingest role: nothing more (no reading or deleting originals, no variants, no other prefix)", async () => {
                const t = target();
                const denied: Array<[string, string]> = [
                    ["s3:GetObject", "uploads/9b1d.jpg"],
                    ["s3:DeleteObject", "uploads/9b1d.jpg"],
                    ["s3:PutObject", "incoming/9b1d.jpg"],
                    ["s3:PutObject", "300x300/uploads/9b1d.jpg"],
                    ["s3:DeleteObject", "status/9b1d.json"],
                    ["s3:PutObject", "index.html"],
                ];
                for (const [action, key] of denied)
                    expect(await call(t, INGEST_ROLE, action, object(t, key)), `${action} ${key}`).to.not.equal(
                        "Allowed",
                    );
                for (const prefix of ["", "uploads/", "status/"]) {
                    expect(
                        await call(t, INGEST_ROLE, "s3:ListBucket", t.bucketArn, { "s3:prefix": prefix }),
                        JSON.stringify(prefix),
                    ).to.not.equal("Allowed");
                }
            });

            it("the ingest failure consumer role: reads and writes statuses (status/ listable for a 404), nothing else in the bucket", async () => {
                const t = target();
                for (const action of ["s3:GetObject", "s3:PutObject"])
                    expect(await call(t, INGEST_FAILURE_ROLE, action, object(t, "status/9b1d.json")), action).to.equal(
                        "Allowed",
                    );
                expect(
                    await call(t, INGEST_FAILURE_ROLE, "s3:ListBucket", t.bucketArn, {
                        "s3:prefix": "status/9b1d.json",
                    }),
                ).to.equal("Allowed");
                const denied: Array<[string, string]> = [
                    ["s3:DeleteObject", "status/9b1d.json"],
                    ["s3:GetObject", "incoming/9b1d.jpg"],
                    ["s3:DeleteObject", "incoming/9b1d.jpg"],
                    ["s3:GetObject", "uploads/9b1d.jpg"],
                    ["s3:PutObject", "uploads/9b1d.jpg"],
                    ["s3:PutObject", "300x300/uploads/9b1d.jpg"],
                ];
                for (const [action, key] of denied)
                    expect(await call(t, INGEST_FAILURE_ROLE, action, object(t, key)), `${action} ${key}`).to.not.equal(
                        "Allowed",
                    );
                for (const prefix of ["", "uploads/", "incoming/"])
                    expect(
                        await call(t, INGEST_FAILURE_ROLE, "s3:ListBucket", t.bucketArn, { "s3:prefix": prefix }),
                        JSON.stringify(prefix),
                    ).to.not.equal("Allowed");
            });

            if (mode === "plain") {
                it("no role may use any KMS key", async () => {
                    for (const role of [PRESIGN_ROLE, RESIZER_ROLE, INGEST_ROLE, INGEST_FAILURE_ROLE]) {
                        for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
                            expect(
                                await evaluate({
                                    principal: rolePolicyOf(plain.run, role).arn,
                                    identityPolicies: [rolePolicyOf(plain.run, role).policy],
                                    action,
                                    resource: BROUGHT_KEY,
                                    resourcePolicy: defaultKeyPolicy(),
                                }),
                                `${role} ${action}`,
                            ).to.not.equal("Allowed");
                        }
                    }
                });
                return;
            }

            it("the presign role may have S3 make a data key (presigned upload) and decrypt (status reads) with the bucket's key, nothing else", async () => {
                const t = target();
                expect(await call(t, PRESIGN_ROLE, "kms:GenerateDataKey", t.keyArn!)).to.equal("Allowed");
                expect(await call(t, PRESIGN_ROLE, "kms:Decrypt", t.keyArn!)).to.equal("Allowed");
                expect(await call(t, PRESIGN_ROLE, "kms:GenerateDataKey", OTHER_KEY)).to.not.equal("Allowed");
                expect(await call(t, PRESIGN_ROLE, "kms:ScheduleKeyDeletion", t.keyArn!)).to.not.equal("Allowed");
            });

            it("the ingest role may decrypt staged uploads and encrypt originals and statuses with the bucket's key only", async () => {
                const t = target();
                expect(await call(t, INGEST_ROLE, "kms:Decrypt", t.keyArn!)).to.equal("Allowed");
                expect(await call(t, INGEST_ROLE, "kms:GenerateDataKey", t.keyArn!)).to.equal("Allowed");
                expect(await call(t, INGEST_ROLE, "kms:Decrypt", OTHER_KEY)).to.not.equal("Allowed");
                expect(await call(t, INGEST_ROLE, "kms:ScheduleKeyDeletion", t.keyArn!)).to.not.equal("Allowed");
            });

            it("the ingest failure consumer role may decrypt and encrypt statuses with the bucket's key only", async () => {
                const t = target();
                expect(await call(t, INGEST_FAILURE_ROLE, "kms:Decrypt", t.keyArn!)).to.equal("Allowed");
                expect(await call(t, INGEST_FAILURE_ROLE, "kms:GenerateDataKey", t.keyArn!)).to.equal("Allowed");
                expect(await call(t, INGEST_FAILURE_ROLE, "kms:Decrypt", OTHER_KEY)).to.not.equal("Allowed");
                expect(await call(t, INGEST_FAILURE_ROLE, "kms:ScheduleKeyDeletion", t.keyArn!)).to.not.equal(
                    "Allowed",
                );
            });

            it("the Resizer role may decrypt originals and encrypt variants with the bucket's key, no other key", async () => {
                const t = target();
                expect(await call(t, RESIZER_ROLE, "kms:Decrypt", t.keyArn!)).to.equal("Allowed");
                expect(await call(t, RESIZER_ROLE, "kms:GenerateDataKey", t.keyArn!)).to.equal("Allowed");
                expect(await call(t, RESIZER_ROLE, "kms:Decrypt", OTHER_KEY)).to.not.equal("Allowed");
                expect(await call(t, RESIZER_ROLE, "kms:ScheduleKeyDeletion", t.keyArn!)).to.not.equal("Allowed");
            });
        });
    }

    // resizerRuntime fargate: the task role is built from the same statements (infra/resize/resizerPolicy.ts resizerStatements);
    // every Resizer call above, evaluated for both roles, must get the same decision.
    describe("the Fargate task role (resizerRuntime fargate) makes exactly the Lambda Resizer role's calls", () => {
        const TASK_ROLE = "resizer-task-role";
        const CALLS: Array<[string, string, Record<string, string>?]> = [
            ["s3:GetObject", "uploads/9b1d.jpg"],
            ["s3:GetObject", "300x300/uploads/9b1d.jpg"],
            ["s3:PutObject", "300x300/uploads/9b1d.jpg"],
            ["s3:PutObject", "uploads/9b1d.jpg"],
            ["s3:PutObject", "uploads/300x300/uploads/9b1d.jpg"],
            ["s3:DeleteObject", "uploads/9b1d.jpg"],
            ["s3:DeleteObject", "300x300/uploads/9b1d.jpg"],
            ["s3:GetObject", "private/notes.txt"],
            ["s3:ListBucket", "", { "s3:prefix": "uploads/9b1d.jpg" }],
            ["s3:ListBucket", "", { "s3:prefix": "300x300/uploads/9b1d.jpg" }],
            ["s3:ListBucket", "", { "s3:prefix": "private/" }],
            ["s3:ListBucket", ""],
            ["kms:Decrypt", "KEY"],
            ["kms:GenerateDataKey", "KEY"],
            ["kms:Decrypt", OTHER_KEY],
            ["kms:ScheduleKeyDeletion", "KEY"],
        ];
        const KMS_MODES: Record<string, string>[] = [
            {},
            { "image-pipeline:kmsKeyArn": "create" },
            { "image-pipeline:kmsKeyArn": BROUGHT_KEY },
        ];
        for (const kms of KMS_MODES) {
            it(`same decisions as the Lambda role, ${JSON.stringify(kms)}`, async () => {
                const lambda = await stack(kms);
                const fargate = await stack({ ...kms, "image-pipeline:resizerRuntime": "fargate" });
                expect(fargate.run.ofType("aws:lambda/function:Function").map((f) => f.name)).to.not.include(
                    "resizer-handler",
                );
                const trusted = parsePolicy(
                    fargate.run.ofType("aws:iam/role:Role").find((r) => r.name === TASK_ROLE)!.inputs.assumeRolePolicy,
                );
                expect(trusted.Statement[0].Principal).to.deep.equal({ Service: "ecs-tasks.amazonaws.com" });
                const decisions = { lambda: [] as Decision[], fargate: [] as Decision[] };
                for (const [action, key, context] of CALLS) {
                    for (const [runtime, target, role] of [
                        ["lambda", lambda, RESIZER_ROLE],
                        ["fargate", fargate, TASK_ROLE],
                    ] as const) {
                        const resource =
                            key === "KEY"
                                ? (target.keyArn ?? BROUGHT_KEY)
                                : action.startsWith("kms:")
                                  ? key
                                  : key === ""
                                    ? target.bucketArn
                                    : `${target.bucketArn}/${key}`;
                        decisions[runtime].push(await call(target, role, action, resource, context));
                    }
                }
                expect(decisions.fargate).to.deep.equal(decisions.lambda);
                expect(decisions.fargate).to.include("Allowed").and.to.include("ExplicitlyDenied");
            });
        }
    });
});
