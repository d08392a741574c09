// S3 answers concurrent configuration updates of one bucket (Put*Bucket* calls) with 409 OperationAborted ("A
// conflicting conditional operation is currently in progress"; see infra/storage/imageBucket.ts for the reports), so
// every resource that configures the image bucket, whichever component declares it, must be ordered after or
// before every other one: a chain, never two at once. Derived from the registered resources under the mocks, so a
// new side resource outside the chain fails here.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { ImageBucket } from "../../infra/storage";
import { ProgramRun, runProgram } from "../support/program";
import { dependenciesOf, resetRecorded } from "../support/pulumiMocks";

/** Resources of the s3 module's bucket* types (not the bucket itself) that configure the image bucket. */
function bucketConfiguration(run: ProgramRun): string[] {
    const bucket = run.one("aws:s3/bucket:Bucket").state.bucket;
    return run.resources
        .filter((r) => /^aws:s3\/bucket\w+:/.test(r.type) && r.inputs.bucket === bucket)
        .map((r) => r.name);
}

/** Every resource `name` waits for, directly or through others. */
function waitsFor(name: string, seen = new Set<string>()): Set<string> {
    for (const dependency of dependenciesOf.get(name) ?? []) {
        if (!seen.has(dependency)) {
            seen.add(dependency);
            waitsFor(dependency, seen);
        }
    }
    return seen;
}

for (const [stack, config] of [
    ["lambda", {}],
    ["fargate", { "image-pipeline:resizerRuntime": "fargate" }],
    ["lambda with a KMS key it makes", { "image-pipeline:kmsKeyArn": "create" }],
] as const) {
    describe(`bucket configuration is one chain, one S3 call at a time (${stack} stack)`, function () {
        this.timeout(120_000);
        let configuring: string[];
        before(async () => {
            configuring = bucketConfiguration(await runProgram(config));
        });

        it("configures the bucket with its access block, ownership, encryption, CORS, lifecycle, policy and notification", () => {
            expect([...configuring].sort()).to.deep.equal([
                "bucket-events-notification",
                "cdn-bucket-policy",
                "images-cors",
                "images-encryption",
                "images-lifecycle",
                "images-ownership",
                "images-public-access",
            ]);
        });

        it("orders every two of them (one waits for the other), so none runs concurrently with another", () => {
            const unordered: string[] = [];
            for (const [i, a] of configuring.entries()) {
                for (const b of configuring.slice(i + 1)) {
                    if (!waitsFor(a).has(b) && !waitsFor(b).has(a)) unordered.push(`${a} ∥ ${b}`);
                }
            }
            expect(unordered).to.deep.equal([]);
        });

        it("puts the notification last: it waits for the bucket policy", () => {
            expect(dependenciesOf.get("bucket-events-notification")).to.include("cdn-bucket-policy");
        });
    });
}

describe("ImageBucket.allowDistributionToRead makes the bucket's one policy", () => {
    it("refuses a second policy: S3 keeps one per bucket, and a second would replace the first", async () => {
        const bucket = new ImageBucket("one-policy", { corsOrigins: [] });
        const distribution = Object.assign(new pulumi.ComponentResource("test:delivery:Cdn", "one-policy-cdn"), {
            distributionArn: "arn:aws:cloudfront::123456789012:distribution/EONE",
            resourceName: "one-policy-cdn",
        });
        expect(bucket.allowDistributionToRead(distribution)).to.be.instanceOf(aws.s3.BucketPolicy);
        expect(() => bucket.allowDistributionToRead(distribution)).to.throw(/one policy/);
        // Let these registrations finish here, so none lands among the next spec's program run.
        await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
        resetRecorded();
    });
});
