// What the documentation (README.md, docs/*.md) states about limits, defaults and KMS permissions is what the
// program does: each statement is found by its content, wherever it lives, and compared with the config, the
// code's constants and the resources and policies the program declares under the mocks. A statement this spec
// looks for and cannot find fails too, so rewording one means updating its pattern here, not losing the check.
import { expect } from "chai";
import { CONFIG_DEFAULTS, CONFIG_KEYS } from "../../config/configKeys";
import {
    HTTP_API_MAX_INTEGRATION_TIMEOUT_SECONDS,
    MAX_ALLOWED_RESOLUTIONS,
    MAX_EAGER_RESOLUTIONS,
    MAX_UPLOAD_EXPIRES_IN,
} from "../../config/limits";
import { STAGING_PREFIX } from "../../functions/shared/bucketLayout";
import { MAX_ORIGINAL_BYTES } from "../../functions/resize/resize";
import { AVIF_MAX_PIXELS } from "../../functions/shared/variantFormats";
import { ProgramRun, parsePolicy, runProgram } from "../support/program";
import { actionsIn, DocFile, projectDocs, statements, tablesWith } from "../support/projectDocs";

// With a JWT issuer the presign role also holds the upload-grant HMAC key: every KMS key the stack can make.
const KMS = {
    "image-pipeline:kmsKeyArn": "create",
    "image-pipeline:jwtIssuer": "https://cognito-idp.ap-northeast-2.amazonaws.com/ap-northeast-2_Example",
    "image-pipeline:jwtAudience": "client-id-1",
};
const FARGATE_KMS = { ...KMS, "image-pipeline:resizerRuntime": "fargate" };
const NUMBER_WORDS: Record<string, number> = { one: 1, two: 2, three: 3 };
const number = (text: string) => NUMBER_WORDS[text] ?? Number(text);

interface Runs {
    lambda: ProgramRun;
    fargate: ProgramRun;
}

/** A statement of a number (or a prefix), found by `pattern`, and what the program really has. */
interface Claim {
    says: string;
    pattern: RegExp;
    stated: (match: RegExpMatchArray) => number | string;
    actual: (runs: Runs) => number | string;
}

const lambdaFunction = (run: ProgramRun, name: string) =>
    run.ofType("aws:lambda/function:Function").find((f) => f.name === name)!;

const CLAIMS: Claim[] = [
    {
        says: "where a presigned upload lands (the first picture)",
        pattern: /PUT \/ POST \(presigned\) ─+▶ S3 bucket \(private\) (\w+\/)/g,
        stated: (m) => m[1],
        actual: () => STAGING_PREFIX,
    },
    {
        says: "sizes per distribution",
        pattern: /at most (\d+) sizes: CloudFront/g,
        stated: (m) => number(m[1]),
        actual: () => MAX_ALLOWED_RESOLUTIONS,
    },
    {
        says: "CloudFront's cache behaviours: one per size, the default and the originals'",
        pattern: /CloudFront(?:'s| allows) (\d+) cache behaviours/g,
        stated: (m) => number(m[1]),
        actual: () => MAX_ALLOWED_RESOLUTIONS + 2,
    },
    {
        says: "the largest original the Resizer reads",
        pattern: /originals up to (\d+) MiB/g,
        stated: (m) => number(m[1]),
        actual: () => MAX_ORIGINAL_BYTES / 2 ** 20,
    },
    {
        says: "the Resizer's longest timeout (the HTTP API's)",
        pattern: /times out at (\d+) s at most/g,
        stated: (m) => number(m[1]),
        actual: () => HTTP_API_MAX_INTEGRATION_TIMEOUT_SECONDS,
    },
    {
        says: "eager sizes",
        pattern: /Eager variants: at most (\d+) sizes/g,
        stated: (m) => number(m[1]),
        actual: () => MAX_EAGER_RESOLUTIONS,
    },
    {
        says: "the ingest Lambda's timeout",
        pattern: /ingest Lambda's (\d+) s\b/g,
        stated: (m) => number(m[1]),
        actual: ({ lambda }) => lambdaFunction(lambda, "ingest-handler").inputs.timeout,
    },
    {
        says: "the Resizer's default reserved concurrency",
        pattern: /reserved concurrency (\d+)/g,
        stated: (m) => number(m[1]),
        actual: ({ lambda }) => lambdaFunction(lambda, "resizer-handler").inputs.reservedConcurrentExecutions,
    },
    {
        says: "a presigned URL's longest life",
        pattern: /`uploadExpiresIn` is at most (\d+) s/g,
        stated: (m) => number(m[1]),
        actual: () => MAX_UPLOAD_EXPIRES_IN,
    },
    {
        says: "when the lifecycle rule aborts incomplete multipart uploads",
        pattern: /(\w+)-day lifecycle rule/g,
        stated: (m) => number(m[1]),
        actual: ({ lambda }) =>
            lambda
                .one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
                .inputs.rules.find((rule: any) => rule.abortIncompleteMultipartUpload).abortIncompleteMultipartUpload
                .daysAfterInitiation,
    },
    {
        says: "the largest AVIF variant made on a first hit (pixels)",
        pattern: /variant over (\d+)x(\d+) pixels/g,
        stated: (m) => number(m[1]) * number(m[2]),
        actual: () => AVIF_MAX_PIXELS,
    },
];

/** How the docs write a config default: `true`, `30`, `a,b`. */
function writtenDefault(key: keyof typeof CONFIG_DEFAULTS): string {
    const value = CONFIG_DEFAULTS[key];
    return Array.isArray(value) ? value.join(",") : String(value);
}

/** Role name under the mocks → the KMS table's row that speaks for it. */
const KMS_ROWS: Array<{ row: RegExp; roles: string[] }> = [
    { row: /^presign/, roles: ["uploads-handler-role"] },
    { row: /^ingest \(/, roles: ["ingest-handler-role"] },
    { row: /^ingest failure consumer/, roles: ["ingest-failures-handler-role"] },
    { row: /^Resizer/, roles: ["resizer-handler-role", "resizer-task-role"] },
    { row: /^cleanup/, roles: ["cleanup-handler-role"] },
];
const CLOUDFRONT_ROW = /^CloudFront/;

type KeyName = "bucket" | "topic" | "grant";
const KEY_NAMES: KeyName[] = ["bucket", "topic", "grant"];
/** Who may use which key for what, from the program's role policies and the bucket key's policy. */
function kmsGrants(run: ProgramRun): Map<string, Record<KeyName, string[]>> {
    const keyArn = (name: string) => run.ofType("aws:kms/key:Key").find((k) => k.name === name)!.state.arn;
    const keys: Record<KeyName, string> = {
        bucket: keyArn("images-key"),
        topic: keyArn("upload-events-key"),
        grant: keyArn("uploads-grant-key"),
    };
    const grants = new Map<string, Record<KeyName, string[]>>();
    const grant = (holder: string, key: KeyName, actions: string[]) => {
        const held = grants.get(holder) ?? { bucket: [], topic: [], grant: [] };
        held[key] = [...new Set([...held[key], ...actions])].sort();
        grants.set(holder, held);
    };
    const list = (value: unknown) => (Array.isArray(value) ? value : [value]) as string[];
    for (const role of run.ofType("aws:iam/role:Role")) {
        const policy = run.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === `${role.name}-id`);
        for (const statement of policy ? parsePolicy(policy.inputs.policy).Statement : []) {
            const actions = list(statement.Action).filter((action) => action.startsWith("kms:"));
            if (statement.Effect !== "Allow" || actions.length === 0) continue;
            for (const key of KEY_NAMES) {
                if (list(statement.Resource).includes(keys[key])) grant(role.name, key, actions);
            }
            const elsewhere = list(statement.Resource).filter((r) => !Object.values(keys).includes(r));
            expect(elsewhere, `${role.name} uses KMS on something else`).to.deep.equal([]);
        }
    }
    // The bucket key's policy (the alarms topics' keys have theirs: tests/stack/observability.spec.ts).
    const bucketKeyPolicy = run.ofType("aws:kms/keyPolicy:KeyPolicy").find((p) => p.name === "images-key-policy")!;
    for (const statement of parsePolicy(bucketKeyPolicy.inputs.policy).Statement) {
        if (statement.Principal?.Service === "cloudfront.amazonaws.com")
            grant("cloudfront", "bucket", list(statement.Action));
    }
    return grants;
}

describe("the docs state the program's limits, defaults and KMS permissions (README.md, docs/*.md)", function () {
    this.timeout(180_000);
    let docs: DocFile[];
    let runs: Runs;
    before(async () => {
        docs = projectDocs();
        runs = { lambda: await runProgram(KMS), fargate: await runProgram(FARGATE_KMS) };
    });

    for (const claim of CLAIMS) {
        it(`states ${claim.says} as the program has it, wherever it says so`, () => {
            const found = statements(docs, claim.pattern);
            expect(found, `no statement matching ${claim.pattern}`).to.not.be.empty;
            const actual = claim.actual(runs);
            for (const { file, match } of found) {
                expect(claim.stated(match), `${file}: "${match[0]}"`).to.equal(actual);
            }
        });
    }

    it("writes every config default stated in prose (`key` (default …)) as config/configKeys.ts has it", () => {
        const found = statements(docs, /`(\w+)` \(default `?([\w.,-]+?)`?[,;)]/g).filter(({ match }) =>
            (CONFIG_KEYS as string[]).includes(match[1]),
        );
        expect(found).to.not.be.empty;
        for (const { file, match } of found) {
            expect(match[2], `${file}: "${match[0]}"`).to.equal(
                writtenDefault(match[1] as keyof typeof CONFIG_DEFAULTS),
            );
        }
    });

    it("says no format is missing that the defaults turn on (AVIF and WebP by Accept)", () => {
        expect(CONFIG_DEFAULTS.autoFormat && CONFIG_DEFAULTS.formats.length > 0).to.equal(true);
        const denials = statements(
            docs,
            /no (?:automatic )?(?:AVIF|WebP)(?:\/(?:AVIF|WebP))?(?: yet| support)?\b[^.]*/gi,
        )
            .map(({ file, match }) => `${file}: ${match[0]}`)
            .filter((text) => !/no AVIF sequences/i.test(text));
        expect(denials).to.deep.equal([]);
    });

    describe("KMS: the table of who may use which key is the policies' own", () => {
        let table: string[][];
        before(() => {
            const tables = tablesWith(docs, [/^role$/, /bucket's key/, /topic's key/, /upload-grant key/]);
            expect(
                tables,
                "one table with columns role, the bucket's key, the topic's key, the upload-grant key",
            ).to.have.length(1);
            table = tables[0].rows;
        });

        const rowOf = (pattern: RegExp) => {
            const rows = table.filter((row) => pattern.test(row[0]));
            expect(rows, `${pattern}: one row`).to.have.length(1);
            return rows[0];
        };

        for (const stack of ["lambda", "fargate"] as const) {
            it(`names, for every role of the ${stack} stack, exactly the KMS actions it holds on each key`, () => {
                const grants = kmsGrants(runs[stack]);
                const holders = [...grants.keys()].filter((holder) => holder !== "cloudfront");
                for (const holder of holders) {
                    expect(
                        KMS_ROWS.some((entry) => entry.roles.includes(holder)),
                        `${holder} uses KMS: give it a row in the table and in KMS_ROWS`,
                    ).to.equal(true);
                }
                for (const { row: pattern, roles } of KMS_ROWS) {
                    const row = rowOf(pattern);
                    for (const role of roles.filter((name) =>
                        runs[stack].ofType("aws:iam/role:Role").some((r) => r.name === name),
                    )) {
                        const held = grants.get(role) ?? { bucket: [], topic: [], grant: [] };
                        expect(actionsIn(row[1]).sort(), `${row[0]}: the bucket's key`).to.deep.equal(held.bucket);
                        expect(actionsIn(row[2]).sort(), `${row[0]}: the topic's key`).to.deep.equal(held.topic);
                        expect(actionsIn(row[3]).sort(), `${row[0]}: the upload-grant key`).to.deep.equal(held.grant);
                    }
                }
                const cloudfront = rowOf(CLOUDFRONT_ROW);
                expect(actionsIn(cloudfront[1]).sort()).to.deep.equal(grants.get("cloudfront")?.bucket ?? []);
                expect(actionsIn(cloudfront[2])).to.deep.equal([]);
                expect(actionsIn(cloudfront[3])).to.deep.equal([]);
            });
        }

        it("names no KMS action anywhere in the docs that no policy of the stack grants", () => {
            const granted = new Set(
                [runs.lambda, runs.fargate].flatMap((run) =>
                    [...kmsGrants(run).values()].flatMap((held) => [...held.bucket, ...held.topic, ...held.grant]),
                ),
            );
            // What key policies grant services (CloudWatch on the alarms topics' keys: docs/operations.md).
            for (const keyPolicy of runs.lambda.ofType("aws:kms/keyPolicy:KeyPolicy")) {
                for (const statement of parsePolicy(keyPolicy.inputs.policy).Statement) {
                    if (statement.Principal?.Service)
                        for (const action of [statement.Action].flat()) granted.add(action);
                }
            }
            const named = docs.flatMap(({ text }) => actionsIn(text)).filter((action) => action.startsWith("kms:"));
            expect(named).to.not.be.empty;
            expect([...new Set(named)].filter((action) => !granted.has(action))).to.deep.equal([]);
        });
    });
});
