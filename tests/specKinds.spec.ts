// `npm test` runs the specs kind by kind (`test:unit`, `test:stack`, `test:e2e`, `test:browser` in package.json,
// each an explicit file list): a spec listed under no kind would never run, one listed twice would run twice.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

const PROJECT_DIR = path.resolve(__dirname, "..");
const KINDS = ["unit", "stack", "e2e", "browser"] as const;
const scripts: Record<string, string> = JSON.parse(
    fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8"),
).scripts;

/** The spec files a `test:<kind>` script hands mocha (its arguments that name a .spec.ts file). */
function specsOf(kind: string): string[] {
    return (scripts[`test:${kind}`] ?? "").split(/\s+/).filter((arg) => arg.endsWith(".spec.ts"));
}

function specFilesOnDisk(): string[] {
    return (fs.readdirSync(path.join(PROJECT_DIR, "tests"), { recursive: true }) as string[])
        .map((file) => path.posix.join("tests", file.split(path.sep).join("/")))
        .filter((file) => file.endsWith(".spec.ts"))
        .sort();
}

describe("spec kinds (package.json test:unit, test:stack, test:e2e, test:browser)", () => {
    it("lists every tests/**/*.spec.ts file under exactly one kind", () => {
        const listed = KINDS.flatMap((kind) => specsOf(kind));
        const twice = listed.filter((file, i) => listed.indexOf(file) !== i);
        expect(twice, "listed under more than one kind (or twice)").to.deep.equal([]);
        expect([...listed].sort(), "listed kinds vs spec files on disk").to.deep.equal(specFilesOnDisk());
    });

    it("runs only the listed files in each kind (.mocharc.json adds no spec glob of its own)", () => {
        const mocharc = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, ".mocharc.json"), "utf8"));
        expect(mocharc).not.to.have.property("spec");
        for (const kind of KINDS) expect(specsOf(kind), `test:${kind}`).not.to.be.empty;
    });

    it("has npm test type-check, then run each kind exactly once", () => {
        const steps = scripts.test.split("&&").map((step) => step.trim());
        expect(steps).to.deep.equal(["npm run typecheck", ...KINDS.map((kind) => `npm run test:${kind}`)]);
    });
});
