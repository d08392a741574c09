// The project's documentation as specs read it: README.md and every docs/*.md, so a statement keeps being checked
// when it moves between them. Statements are found by their content (a phrase, a table's header), never by line.
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "./program";

export interface DocFile {
    file: string;
    text: string;
}

export function projectDocs(): DocFile[] {
    const docsDir = path.join(PROJECT_DIR, "docs");
    const docs = fs.existsSync(docsDir)
        ? fs
              .readdirSync(docsDir)
              .filter((name) => name.endsWith(".md"))
              .sort()
              .map((name) => path.join("docs", name))
        : [];
    return ["README.md", ...docs].map((file) => ({
        file,
        text: fs.readFileSync(path.join(PROJECT_DIR, file), "utf8"),
    }));
}

/** The README, the document a newcomer starts from (what only it must say: the config table, the deploy steps). */
export function readme(docs: DocFile[] = projectDocs()): DocFile {
    const found = docs.find((doc) => doc.file === "README.md");
    if (!found) throw new Error("README.md is missing");
    return found;
}

/** The text of the `## ` section whose heading matches `heading`, up to the next `## ` heading; throws if none. */
export function section(doc: DocFile, heading: RegExp): string {
    const parts = doc.text.split(/^## /m).slice(1);
    const found = parts.find((part) => heading.test(part.slice(0, part.indexOf("\n"))));
    if (found === undefined) throw new Error(`${doc.file} has no "## " section whose heading matches ${heading}`);
    return found.slice(found.indexOf("\n") + 1);
}

/** Every match of `pattern` (global) in the docs, their line breaks and indents read as single spaces. */
export function statements(docs: DocFile[], pattern: RegExp): Array<{ file: string; match: RegExpMatchArray }> {
    return docs.flatMap(({ file, text }) =>
        [...text.replace(/\s*\n\s*/g, " ").matchAll(pattern)].map((match) => ({ file, match })),
    );
}

export interface DocTable {
    file: string;
    header: string[];
    rows: string[][];
}

/** The Markdown tables whose header row has a cell matching each of `headerCells`. */
export function tablesWith(docs: DocFile[], headerCells: RegExp[]): DocTable[] {
    const tables: DocTable[] = [];
    for (const { file, text } of docs) {
        const lines = text.split("\n");
        for (let i = 0; i + 1 < lines.length; i++) {
            if (!lines[i].startsWith("|") || !/^\|[-| :]+\|$/.test(lines[i + 1].trim())) continue;
            if (i > 0 && lines[i - 1].startsWith("|")) continue;
            const header = cells(lines[i]);
            if (!headerCells.every((wanted) => header.some((cell) => wanted.test(cell)))) continue;
            const rows: string[][] = [];
            for (let j = i + 2; j < lines.length && lines[j].startsWith("|"); j++) rows.push(cells(lines[j]));
            tables.push({ file, header, rows });
        }
    }
    return tables;
}

function cells(line: string): string[] {
    return line
        .trim()
        .replace(/^\||\|$/g, "")
        .split("|")
        .map((cell) => cell.trim());
}

/** The `kms:…`-style actions written in backticks in a cell or a text ("none" names none). */
export function actionsIn(text: string): string[] {
    return [...text.matchAll(/`([a-z0-9-]+:[A-Za-z*]+)`/g)].map((match) => match[1]);
}
