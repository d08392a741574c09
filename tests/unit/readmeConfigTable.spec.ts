// README's "Configuration" table is the users' reference: it must list every config key exactly once, with the
// default the program really uses (config/configKeys.ts), so a new key or a changed default cannot go unsaid. The
// table is found by its header (key | default | meaning) among README.md and docs/*.md, and must be the README's.
import { expect } from "chai";
import { CONFIG_DEFAULTS, CONFIG_KEYS, PipelineConfig } from "../../config/configKeys";
import { projectDocs, tablesWith } from "../support/projectDocs";

/** The table's rows: the keys named in the first cell (`a` + `b` rows name two) and the default cell. */
function configurationRows(): Array<{ keys: string[]; defaultCell: string }> {
    const tables = tablesWith(projectDocs(), [/^key$/, /^default$/, /^meaning$/]);
    expect(
        tables.map((table) => table.file),
        "one configuration table (key | default | meaning), in README.md",
    ).to.deep.equal(["README.md"]);
    return tables[0].rows.map(([keyCell, defaultCell]) => ({
        keys: [...keyCell.matchAll(/`([^`]+)`/g)].map((match) => match[1]),
        defaultCell,
    }));
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
