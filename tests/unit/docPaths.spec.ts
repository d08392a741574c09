// Every repository path the documentation names exists, so a moved or renamed file cannot leave README.md or
// docs/*.md pointing at nothing. Two kinds of names are read:
// - code spans and fenced blocks: each word whose first segment is a top-level entry of the repository
//   (`functions/ingest/checkUpload.ts`, `infra/resizer-packages/`, `.ci/run`, `Pulumi.<stack>.yaml`), and each bare
//   `name.ts` (a module named without its folder must still be some module's name); `<placeholder>` stands for one
//   path segment and `*` for any run of characters within one, so `functions/<function>/settings.ts` must match a file;
// - relative Markdown links (`[text](docs/lifecycle.md#removal-and-overwrite)`), from the linking file's folder,
//   with their `#anchor` a heading of the target (GitHub's heading ids).
// Bucket keys (`uploads/<id>.<ext>`), URL paths (`/uploads`) and what a run makes and .gitignore keeps out
// (`.data/`, `bench/results.json`) are not repository paths.
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { PROJECT_DIR } from "../support/program";
import { DocFile, projectDocs } from "../support/projectDocs";

/** Never part of the repository's content, whatever .gitignore says. */
const NOT_CONTENT = new Set([".git", "node_modules"]);

/** .gitignore's patterns as tests on a relative path (the subset it uses: names, `dir/`, `*`, paths from the root). */
function ignoredPaths(): (relative: string) => boolean {
    const patterns = fs
        .readFileSync(path.join(PROJECT_DIR, ".gitignore"), "utf8")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("#"));
    const tests = patterns.map((pattern) => {
        const body = pattern.replace(/\/$/, "");
        const glob = body.replace(/^\//, "").split("*").map(escapeRegExp).join("[^/]*");
        // A pattern with a slash before its end is relative to the root; one without matches at any depth.
        const anchored = body.replace(/^\//, "").includes("/") || pattern.startsWith("/");
        return new RegExp(`${anchored ? "^" : "(?:^|/)"}${glob}(?:/|$)`);
    });
    return (relative) => tests.some((test) => test.test(relative));
}

function escapeRegExp(text: string): string {
    return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

/** Every file and folder of the repository, relative, folders with a trailing "/". */
function repositoryEntries(isIgnored: (relative: string) => boolean): string[] {
    const entries: string[] = [];
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(path.join(PROJECT_DIR, dir), { withFileTypes: true })) {
            const relative = dir === "" ? entry.name : `${dir}/${entry.name}`;
            if (NOT_CONTENT.has(entry.name) || isIgnored(relative)) continue;
            if (entry.isDirectory()) {
                entries.push(`${relative}/`);
                walk(relative);
            } else entries.push(relative);
        }
    };
    walk("");
    return entries;
}

/** A named path as a test on the repository's entries: placeholders and `*` within one segment, `**` across. */
function pathPattern(named: string): RegExp {
    const directory = named.endsWith("/");
    const glob = named
        .replace(/\/$/, "")
        .split(/(<[^<>/]+>|\*\*|\*)/)
        .map((part) => (part === "**" ? ".*" : part === "*" || /^<[^<>/]+>$/.test(part) ? "[^/]+" : escapeRegExp(part)))
        .join("");
    return new RegExp(`^${glob}${directory ? "/" : "/?"}$`);
}

/** The code spans and fenced code blocks of a Markdown text. */
function codeTexts(text: string): string[] {
    const fenced = [...text.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((match) => match[1]);
    const prose = text.replace(/^```[^\n]*\n[\s\S]*?^```/gm, "");
    const spans = [...prose.matchAll(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g)].map((match) => match[2]);
    return [...fenced, ...spans];
}

/**
 * Whether a path's first segment names a top-level entry: literally (`functions`, `.ci`), or with placeholders after
 * a literal start that begins some top-level name (`Pulumi.<stack>.yaml`). One that begins with a placeholder
 * (`<W>x<H>/…`, `<cdnUrl>/…`) is a key or a URL.
 */
function isRepositoryPath(first: string, topLevel: string[]): boolean {
    const names = topLevel.map((entry) => entry.replace(/\/$/, ""));
    if (!/[<*]/.test(first)) return names.includes(first);
    const literalStart = first.split(/[<*]/)[0];
    return literalStart.length >= 3 && names.some((name) => name.startsWith(literalStart));
}

/** The words of code that name repository paths: a first segment that is a top-level entry, or a bare module name. */
function namedPaths(doc: DocFile, topLevel: string[]): string[] {
    const words = codeTexts(doc.text).flatMap((code) => code.split(/[\s"'`()=,;]+/));
    const named = new Set<string>();
    for (const raw of words) {
        const word = raw.replace(/^[[{]+|[\]}:.]+$/g, "");
        if (word === "" || word.startsWith("/") || word.startsWith("http")) continue;
        if (isRepositoryPath(word.split("/")[0], topLevel)) named.add(word);
        else if (!word.includes("/") && /^[A-Za-z][\w.-]*\.ts$/.test(word)) named.add(`**/${word}`);
    }
    return [...named];
}

/** GitHub's id for a heading: lower case, punctuation dropped, spaces as hyphens. */
function headingId(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[`*_]/g, "")
        .replace(/[^\p{L}\p{N}\s-]/gu, "")
        .replace(/\s/g, "-");
}

function headingIds(markdown: string): string[] {
    const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, "");
    return [...prose.matchAll(/^#{1,6}\s+(.+)$/gm)].map((match) => headingId(match[1]));
}

/** The relative links of a Markdown text: [text](target), not URLs or mail. */
function relativeLinks(text: string): string[] {
    const prose = text.replace(/^```[^\n]*\n[\s\S]*?^```/gm, "");
    return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((match) => match[1])
        .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe("every repository path the docs name exists (README.md, docs/*.md)", () => {
    const isIgnored = ignoredPaths();
    const entries = repositoryEntries(isIgnored);
    const topLevel = entries.filter((entry) => !entry.replace(/\/$/, "").includes("/"));
    const docs = projectDocs();

    it("reads the repository and the docs (the check below has something to check)", () => {
        expect(entries).to.include.members(["README.md", "functions/", "docs/benchmarks.md"]);
        expect(docs.map((doc) => doc.file)).to.include("README.md");
        expect(namedPaths(docs[0], topLevel)).to.include("tests/unit/readmeConfigTable.spec.ts");
    });

    for (const doc of docs) {
        it(`${doc.file}: every path in code names a file or folder of the repository`, () => {
            const missing = namedPaths(doc, topLevel).filter((named) => {
                if (isIgnored(named.replace(/<[^<>/]+>/g, "x"))) return false;
                const pattern = pathPattern(named);
                return !entries.some((entry) => pattern.test(entry));
            });
            expect(missing, `${doc.file} names paths that do not exist`).to.deep.equal([]);
        });

        it(`${doc.file}: every relative link reaches a file, and its #anchor a heading there`, () => {
            const broken: string[] = [];
            for (const link of relativeLinks(doc.text)) {
                const [target, anchor] = link.split("#");
                const file =
                    target === ""
                        ? doc.file
                        : path.posix.normalize(path.posix.join(path.posix.dirname(doc.file), target));
                const absolute = path.join(PROJECT_DIR, file);
                if (file.startsWith("..") || !fs.existsSync(absolute)) {
                    broken.push(`${link}: no ${file}`);
                    continue;
                }
                if (anchor !== undefined && !headingIds(fs.readFileSync(absolute, "utf8")).includes(anchor))
                    broken.push(`${link}: no heading #${anchor} in ${file}`);
            }
            expect(broken, `${doc.file} links to what is not there`).to.deep.equal([]);
        });
    }
});
