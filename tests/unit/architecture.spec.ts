// The project's shape, checked from its files: no import cycle among its own modules (a cycle makes load order
// decide what a module sees, and two modules that need each other are one idea split badly), and no source module
// over 350 lines (one job per file, small and named: a module that outgrows this holds more than one idea).
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { PROJECT_DIR } from "../support/program";

/** Where the import graph is read: every .ts/.js below these (node_modules and build output excluded). */
const GRAPH_ROOTS = ["index.ts", "config", "functions", "infra", "local", "web", "bench", "tests"];
/** Where the size limit holds: the source, not the specs (they split by theme at about 400 lines). */
const SOURCE_ROOTS = ["index.ts", "config", "functions", "infra", "local", "web", "bench"];
const MAX_SOURCE_LINES = 350;

const SKIPPED_DIRECTORIES = new Set(["node_modules", ".build", ".data", ".git"]);

function moduleFiles(roots: string[]): string[] {
    const found: string[] = [];
    const walk = (relative: string) => {
        const absolute = path.join(PROJECT_DIR, relative);
        if (!fs.existsSync(absolute)) return;
        if (fs.statSync(absolute).isDirectory()) {
            for (const entry of fs.readdirSync(absolute)) {
                if (!SKIPPED_DIRECTORIES.has(entry)) walk(path.posix.join(relative, entry));
            }
        } else if (/\.(ts|js)$/.test(relative)) {
            found.push(relative);
        }
    };
    for (const root of roots) walk(root);
    return found.sort();
}

/** Every module specifier a file names: `import … from`, `export … from`, `import "…"`, `require("…")`, `import("…")`. */
function importedSpecifiers(source: string): string[] {
    const patterns = [
        /\b(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']/g,
        /\bimport\s*["']([^"']+)["']/g,
        /\b(?:require|import)\(\s*["']([^"']+)["']\s*\)/g,
    ];
    return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]));
}

/** A relative specifier as Node and TypeScript resolve it, against the project's files; undefined otherwise. */
function resolveRelative(from: string, specifier: string, files: Set<string>): string | undefined {
    if (!specifier.startsWith(".")) return undefined;
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
    const candidates = [base, `${base}.ts`, `${base}.js`, `${base}.d.ts`, `${base}/index.ts`, `${base}/index.js`];
    return candidates.find((candidate) => files.has(candidate));
}

type ImportGraph = Map<string, string[]>;

function importGraph(files: string[], read: (file: string) => string): ImportGraph {
    const known = new Set(files);
    const graph: ImportGraph = new Map();
    for (const file of files) {
        const targets = importedSpecifiers(read(file))
            .map((specifier) => resolveRelative(file, specifier, known))
            .filter((target): target is string => target !== undefined);
        graph.set(file, [...new Set(targets)].sort());
    }
    return graph;
}

/**
 * Each cycle of the graph, one per strongly connected component (Tarjan's algorithm) with more than one module or
 * a module importing itself, written as a path that returns to its start: a → b → a.
 */
function importCycles(graph: ImportGraph): string[][] {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const components: string[][] = [];
    let next = 0;
    const visit = (node: string) => {
        index.set(node, next);
        low.set(node, next);
        next++;
        stack.push(node);
        onStack.add(node);
        for (const target of graph.get(node) ?? []) {
            if (!index.has(target)) {
                visit(target);
                low.set(node, Math.min(low.get(node)!, low.get(target)!));
            } else if (onStack.has(target)) {
                low.set(node, Math.min(low.get(node)!, index.get(target)!));
            }
        }
        if (low.get(node) === index.get(node)) {
            const component: string[] = [];
            let member: string;
            do {
                member = stack.pop()!;
                onStack.delete(member);
                component.push(member);
            } while (member !== node);
            const selfImport = (graph.get(node) ?? []).includes(node);
            if (component.length > 1 || selfImport) components.push(component.sort());
        }
    };
    for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
    return components.map((component) => cyclePath(graph, component));
}

/** A shortest path from the component's first module back to itself, through the component only. */
function cyclePath(graph: ImportGraph, component: string[]): string[] {
    const start = component[0];
    const members = new Set(component);
    const previous = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
        const node = queue.shift()!;
        for (const target of graph.get(node) ?? []) {
            if (!members.has(target)) continue;
            if (target === start) {
                const path = [start];
                for (let at = node; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
                return [...path, start];
            }
            if (!previous.has(target)) {
                previous.set(target, node);
                queue.push(target);
            }
        }
    }
    return [...component, start];
}

function lineCount(file: string): number {
    const text = fs.readFileSync(path.join(PROJECT_DIR, file), "utf8");
    return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

const read = (file: string) => fs.readFileSync(path.join(PROJECT_DIR, file), "utf8");

describe("architecture: the project's modules", () => {
    describe("the import graph reader (checked on made-up modules, so a broken reader cannot pass everything)", () => {
        const graphOf = (sources: Record<string, string>) =>
            importGraph(Object.keys(sources).sort(), (file) => sources[file]);

        it("reads import, export-from, side-effect, require and dynamic import lines, across line breaks", () => {
            const source = [
                'import * as fs from "fs";',
                "import {",
                "    a,",
                "    b,",
                '} from "./a";',
                'import type { T } from "../t";',
                'export * from "./c";',
                'export { d } from "./d";',
                'import "./e";',
                'const f = require("./f");',
                'const g = await import("./g");',
            ].join("\n");
            expect(importedSpecifiers(source)).to.have.members([
                "fs",
                "./a",
                "../t",
                "./c",
                "./d",
                "./e",
                "./f",
                "./g",
            ]);
        });

        it("resolves .ts, .js and folder index files, and ignores packages", () => {
            const graph = graphOf({
                "x/main.ts": 'import { a } from "./a"; import { b } from "../y"; import "./c"; import "sharp";',
                "x/a.ts": "",
                "x/c.js": "",
                "y/index.ts": "",
            });
            expect(graph.get("x/main.ts")).to.deep.equal(["x/a.ts", "x/c.js", "y/index.ts"]);
        });

        it("reports each cycle as a path back to its start, and nothing for a graph without one", () => {
            const cyclic = graphOf({
                "a.ts": 'import "./b";',
                "b.ts": 'import "./c";',
                "c.ts": 'import "./a";',
                "d.ts": 'import "./d";',
                "e.ts": 'import "./a";',
            });
            expect(importCycles(cyclic)).to.deep.equal([
                ["a.ts", "b.ts", "c.ts", "a.ts"],
                ["d.ts", "d.ts"],
            ]);
            expect(
                importCycles(graphOf({ "a.ts": 'import "./b";', "b.ts": 'import "./c";', "c.ts": "" })),
            ).to.deep.equal([]);
        });
    });

    it("has no import cycle among config, functions, infra, local, web, bench, index.ts and tests", () => {
        const cycles = importCycles(importGraph(moduleFiles(GRAPH_ROOTS), read));
        expect(
            cycles.map((cycle) => cycle.join(" → ")),
            "import cycles",
        ).to.deep.equal([]);
    });

    it(`keeps every source module within ${MAX_SOURCE_LINES} lines`, () => {
        const tooLong = moduleFiles(SOURCE_ROOTS)
            .map((file) => ({ file, lines: lineCount(file) }))
            .filter(({ lines }) => lines > MAX_SOURCE_LINES)
            .map(({ file, lines }) => `${file}: ${lines} lines`);
        expect(tooLong, `modules over ${MAX_SOURCE_LINES} lines: split them by idea`).to.deep.equal([]);
    });

    it("gives each infra/ folder an index.ts that only re-exports its modules (the folder list is the table of contents)", () => {
        const folders = fs
            .readdirSync(path.join(PROJECT_DIR, "infra"), { withFileTypes: true })
            .filter((entry) => entry.isDirectory() && moduleFiles([`infra/${entry.name}`]).length > 0)
            .map((entry) => `infra/${entry.name}`);
        expect(folders).to.include.members(["infra/storage", "infra/delivery", "infra/resize", "infra/upload"]);
        for (const folder of folders) {
            const index = `${folder}/index.ts`;
            expect(fs.existsSync(path.join(PROJECT_DIR, index)), index).to.equal(true);
            const statements = read(index)
                .split("\n")
                .filter((line) => line.trim() !== "" && !line.trim().startsWith("//"));
            expect(
                statements.filter((line) => !/^export \* from "\.\/\w+";$/.test(line)),
                index,
            ).to.deep.equal([]);
            const modules = moduleFiles([folder]).filter(
                (file) => path.posix.dirname(file) === folder && file !== index,
            );
            const exported = statements.map((line) => `${folder}/${/"\.\/(\w+)"/.exec(line)![1]}.ts`);
            expect([...exported].sort(), `${index} re-exports every module of its folder`).to.deep.equal(modules);
        }
    });

    it("decides the Resizer's runtime in one place: only infra/resize/resizerOrigin.ts reads config.resizerRuntime", () => {
        // index.ts and the components ask the ResizerOrigin for what they need (CDN origin, /resize route, ingest
        // code), so a third runtime is one new case there, not a hunt through the stack.
        const readers = moduleFiles(["index.ts", "infra"]).filter((file) => /\.resizerRuntime\b/.test(read(file)));
        expect(readers).to.deep.equal(["infra/resize/resizerOrigin.ts"]);
    });
});
