// Every resource's URN (its type qualified by its ancestors' types, then its name) is its identity in the stack's
// state: a resource whose URN changes is deleted and created anew by `pulumi up`, which for the bucket policy or
// the CloudFront distribution means an outage, and for the KMS keys data no longer readable. So a refactoring
// (moving a resource to another component, renaming a helper's child) must leave every URN as it was.
// https://www.pulumi.com/docs/iac/concepts/resources/names/#urns
//
// The snapshot (resourceUrns.snapshot.json beside this file) was written from the program before the infra/
// folders of issue 23. A deliberate change of URNs (a new resource, one removed, or one moved with `aliases` so
// the engine keeps it) rewrites it with:
//     UPDATE_URN_SNAPSHOT=1 npx mocha tests/stack/resourceUrns.spec.ts
// and the diff of the snapshot is then reviewed with the change.
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { BROUGHT_KEY } from "../support/iamStacks";
import { runProgram } from "../support/program";

const SNAPSHOT_FILE = path.join(__dirname, "resourceUrns.snapshot.json");

/** Stacks that between them make every optional resource: each runtime bare and with every option on. */
const STACKS: Record<string, Record<string, string>> = {
    lambda: {},
    "lambda with every option": {
        "image-pipeline:kmsKeyArn": "create",
        "image-pipeline:jwtIssuer": "https://cognito-idp.ap-northeast-2.amazonaws.com/ap-northeast-2_Example",
        "image-pipeline:jwtAudience": "client-id-1",
        "image-pipeline:eagerResolutions": "300x300",
        "image-pipeline:domainNames": "images.example.com",
        "image-pipeline:certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234",
    },
    fargate: { "image-pipeline:resizerRuntime": "fargate", "image-pipeline:formats": "" },
    "fargate with every option": {
        "image-pipeline:resizerRuntime": "fargate",
        "image-pipeline:fargateTargetRequestsPerTask": "300",
        "image-pipeline:kmsKeyArn": BROUGHT_KEY,
    },
};

describe("resource URNs are those of the snapshot (a changed URN is a resource replaced on `pulumi up`)", function () {
    this.timeout(180_000);
    const current: Record<string, string[]> = {};
    before(async () => {
        for (const [stack, config] of Object.entries(STACKS))
            current[stack] = [...(await runProgram(config)).urns].sort();
        if (process.env.UPDATE_URN_SNAPSHOT === "1")
            fs.writeFileSync(SNAPSHOT_FILE, `${JSON.stringify(current, null, 2)}\n`);
    });

    for (const stack of Object.keys(STACKS)) {
        it(`${stack} stack: the same URNs, none added, none gone`, () => {
            const snapshot: Record<string, string[]> = JSON.parse(fs.readFileSync(SNAPSHOT_FILE, "utf8"));
            const expected = snapshot[stack] ?? [];
            const added = current[stack].filter((urn) => !expected.includes(urn));
            const gone = expected.filter((urn) => !current[stack].includes(urn));
            expect({ added, gone }).to.deep.equal({ added: [], gone: [] });
            expect(current[stack]).to.have.length.greaterThan(40);
        });
    }

    it("the URNs are the engine's: a child's type is qualified by every ancestor's, not its parent's alone", () => {
        // ResizerNetwork (a child of FargateResizer) makes the VPC: the URN names both ancestors.
        expect(current.fargate).to.include(
            "urn:pulumi:dev::image-pipeline::image-pipeline:resize:FargateResizer$image-pipeline:resize:ResizerNetwork$awsx:ec2:Vpc::resizer-vpc",
        );
    });
});
