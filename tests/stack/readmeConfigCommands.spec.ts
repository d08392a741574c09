// Every `pulumi config set` command in the README's Deploy section works, in the order shown, as the CLI
// stores it (tests/support/pulumiConfigSet.ts re-implements the CLI's rules, citing its Go sources).
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { parsePipelineConfig, projectNamespace } from "../../config/stackConfig";
import { applyConfigSet, parseConfigSet, programConfig, StackConfig, StoredValue } from "../support/pulumiConfigSet";
import { PROJECT_DIR, runProgram } from "../support/program";
import { readme, section } from "../support/projectDocs";

const PROJECT = projectNamespace(PROJECT_DIR);

/** The `pulumi config set` lines of the shell blocks in README.md's "## Deploy" section, in order. */
function readmeConfigCommands(): string[] {
    const blocks = [...section(readme(), /^Deploy\b/).matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1]);
    return blocks
        .flatMap((block) => block.split("\n"))
        .map((line) => line.trim())
        .filter((line) => line.startsWith("pulumi config set "));
}

/** Pulumi.dev.yaml's config, structured values kept as the CLI holds them. */
function devStack(): StackConfig {
    const document = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")) as {
        config: Record<string, StoredValue>;
    };
    return new Map(Object.entries(document.config));
}

function replay(lines: string[]): StackConfig {
    const stack = devStack();
    for (const line of lines) applyConfigSet(stack, parseConfigSet(line), PROJECT);
    return stack;
}

describe("README Deploy: the `pulumi config set` commands (replayed with the CLI's storage rules)", () => {
    const lines = readmeConfigCommands();

    it("finds the commands, including a list built with --path", () => {
        expect(lines.length).to.be.greaterThan(2);
        expect(lines.some((line) => line.includes("--path"))).to.equal(true);
    });

    it("leaves a config the program accepts, holding what each command set", () => {
        const stack = replay(lines);
        const config = parsePipelineConfig(programConfig(stack), PROJECT) as unknown as Record<string, unknown>;
        for (const line of lines) {
            const { key, value, path: isPath } = parseConfigSet(line);
            if (key.includes(":")) {
                expect(stack.get(key), line).to.equal(value);
                continue;
            }
            const index = /^(\w+)\[(\d+)\]$/.exec(key);
            if (isPath && index) {
                expect((config[index[1]] as unknown[])[Number(index[2])], line).to.equal(value);
            } else {
                const parsed = config[key];
                const expected = Array.isArray(parsed)
                    ? value.split(",")
                    : typeof parsed === "number"
                      ? Number(value)
                      : value;
                expect(parsed, line).to.deep.equal(expected);
            }
        }
    });

    it("gives the values the README states (sizes, CORS origins, reserved concurrency, region)", () => {
        const stack = replay(lines);
        const config = parsePipelineConfig(programConfig(stack), PROJECT);
        expect(stack.get("aws:region")).to.equal("ap-northeast-2");
        expect(config.allowedResolutions).to.deep.equal(["300x300", "640x480", "1280x720"]);
        expect(config.corsOrigins).to.deep.equal(["https://app.example.com", "https://www.example.com"]);
        expect(config.resizerReservedConcurrency).to.equal(10);
    });

    it("the program deploys with it under mocks", async () => {
        const stack = replay(lines);
        const overrides = Object.fromEntries(
            Object.keys(devStackKeys()).map((key) => [key, undefined as string | undefined]),
        );
        const run = await runProgram({ ...overrides, ...programConfig(stack) });
        const distribution = run.one("aws:cloudfront/distribution:Distribution").inputs;
        expect(distribution.orderedCacheBehaviors.map((b: any) => b.pathPattern)).to.include("1280x720/*uploads/*");
        expect(
            run.one("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration").inputs.corsRules[0].allowedOrigins,
        ).to.deep.equal(["https://app.example.com", "https://www.example.com"]);
    });

    describe("the replay follows the CLI (so it would catch the old README)", () => {
        it("`--path 'K[2]'` on a key holding a comma string gives [null, null, V], which the program refuses", () => {
            const stack = replay([
                "pulumi config set allowedResolutions 300x300,640x480",
                "pulumi config set --path 'allowedResolutions[2]' 1280x720",
            ]);
            expect(stack.get(`${PROJECT}:allowedResolutions`)).to.deep.equal([null, null, "1280x720"]);
            expect(() => parsePipelineConfig(programConfig(stack), PROJECT)).to.throw("allowedResolutions");
        });

        it("an index past the end of an existing list is an error; index == length appends; missing key makes a list", () => {
            expect(() => replay(["pulumi config set --path 'corsOrigins[2]' https://x.example.com"])).to.throw(
                "array index out of range",
            );
            expect(
                replay(["pulumi config set --path 'corsOrigins[1]' https://x.example.com"]).get(
                    `${PROJECT}:corsOrigins`,
                ),
            ).to.deep.equal(["http://localhost:3000", "https://x.example.com"]);
            expect(
                replay(["pulumi config set --path 'domainNames[0]' img.example.com"]).get(`${PROJECT}:domainNames`),
            ).to.deep.equal(["img.example.com"]);
        });

        it("plain set stores strings; --path coerces true/false and integers without a leading 0", () => {
            const stack = replay([
                "pulumi config set forceDestroy false",
                "pulumi config set --path 'jwtAudience[0]' 0123",
                "pulumi config set --path 'x.y' true",
                "pulumi config set --path 'x.z' 42",
            ]);
            expect(stack.get(`${PROJECT}:forceDestroy`)).to.equal("false");
            expect(stack.get(`${PROJECT}:jwtAudience`)).to.deep.equal(["0123"]);
            expect(stack.get(`${PROJECT}:x`)).to.deep.equal({ y: true, z: 42 });
        });
    });
});

function devStackKeys(): Record<string, unknown> {
    return Object.fromEntries(devStack());
}
