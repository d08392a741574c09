// README's "Configuration" table is the users' reference: it must list every config key exactly once, with the
// default the program really uses (config/configKeys.ts), so a new key or a changed default cannot go unsaid.
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { CONFIG_DEFAULTS, CONFIG_KEYS, PipelineConfig } from "../../config/configKeys";

const README = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");

/** The table's rows: the keys named in the first cell (`a` + `b` rows name two) and the default cell. */
function configurationRows(): Array<{ keys: string[]; defaultCell: string }> {
    const section = README.split("\n## Configuration\n")[1]?.split("\n## ")[0] ?? "";
    return section
        .split("\n")
        .filter((line) => line.startsWith("| `"))
        .map((line) => {
            const [keyCell, defaultCell] = line
                .split("|")
                .slice(1, 3)
                .map((cell) => cell.trim());
            return { keys: [...keyCell.matchAll(/`([^`]+)`/g)].map((match) => match[1]), defaultCell };
        });
}

/** How the table writes a default: the value in backticks (lists comma-joined), or "none" when there is none. */
function documentedDefault(value: PipelineConfig[keyof PipelineConfig]): string {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) return "none";
    return Array.isArray(value) ? value.join(",") : String(value);
}

describe("README's configuration table matches config/configKeys.ts", () => {
    it("lists every config key exactly once, and no key the program does not know", () => {
        const listed = configurationRows().flatMap((row) => row.keys);
        expect([...listed].sort()).to.deep.equal([...CONFIG_KEYS].sort());
    });

    for (const key of CONFIG_KEYS) {
        it(`documents ${key}'s real default`, () => {
            const row = configurationRows().find((candidate) => candidate.keys.includes(key));
            expect(row, `${key} has no row`).to.not.equal(undefined);
            const written = row!.defaultCell.startsWith("none") ? "none" : /^`([^`]*)`/.exec(row!.defaultCell)?.[1];
            expect(written, `${key}'s default cell: ${row!.defaultCell}`).to.equal(
                documentedDefault(CONFIG_DEFAULTS[key]),
            );
        });
    }
});
