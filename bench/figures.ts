// A benchmark figure, as every bench reports it and the table prints it: a value with its unit and, where there
// is one, the target it is held to (a ratio against a baseline measured in the same run, never a wall clock).
import { round } from "./stats";

export interface Figure {
    name: string;
    value: number;
    unit: string;
    target?: { op: "<=" | ">=" | "=="; value: number };
}

/** A figure in the table, under its section. */
export interface TableFigure extends Figure {
    section: string;
}

/** Whether the figure meets its target; undefined without one (or without a value). */
export function met(figure: Figure): boolean | undefined {
    if (!figure.target || !Number.isFinite(figure.value)) return undefined;
    const { op, value } = figure.target;
    return op === "<=" ? figure.value <= value : op === ">=" ? figure.value >= value : figure.value === value;
}

export function printTable(figures: TableFigure[]): void {
    const rows = figures.map((f) => [
        f.section,
        f.name,
        `${round(f.value, f.unit === "×" ? 2 : 1)} ${f.unit}`.trim(),
        f.target ? `${f.target.op} ${f.target.value} ${f.unit}`.trim() : "",
        met(f) === undefined ? "" : met(f) ? "met" : "MISSED",
    ]);
    const header = ["section", "figure", "value", "target", ""];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    console.log(line(header));
    console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
    for (const row of rows) console.log(line(row));
}
