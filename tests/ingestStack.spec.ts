// The ingest function in the stack (infra/ingest.ts, infra/imageBucket.ts, infra/presignApi.ts) under mocks:
// S3 runs it for every object created under incoming/, from the Resizer's own archive; incoming/ is emptied
// after a day; the status route exists.
import { expect } from "chai";
import { decodeIngestSettings } from "../functions/ingest/settings";
import { dependenciesOf } from "./support/pulumiMocks";
import { ProgramRun, runProgram } from "./support/program";

const FUNCTION = "aws:lambda/function:Function";

describe("ingest under mocks (infra/ingest.ts)", () => {
    let run: ProgramRun;
    const lambda = (name: string) => run.ofType(FUNCTION).find((f) => f.name === name)!;
    before(async () => {
        run = await runProgram();
    });

    it("the bucket notification sends every ObjectCreated under incoming/ (and nothing else) to the ingest Lambda", () => {
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
        const notification = run.one("aws:s3/bucketNotification:BucketNotification");
        expect(notification.inputs.bucket).to.equal(run.one("aws:s3/bucket:Bucket").state.bucket);
        // The bucket's one configuration also holds cleanup's subscription (tests/cleanupStack.spec.ts).
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
});
