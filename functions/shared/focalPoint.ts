// A focal point: the point of an image (x, y from its left and top edges, each 0..1, as displayed) that `cover`
// keeps in view when it crops. Given at presign time (POST /uploads { "focus": { "x", "y" } }), it travels as S3 user
// metadata (`x-amz-meta-focus: <x>,<y>`, signed into the upload URL or pinned by the POST policy), ingest keeps it
// on the original, and the Resizer and the eager variants crop around it (functions/resize/renderVariant.ts).
import { HttpError } from "./http";

/** The user-metadata name (x-amz-meta-focus) on the staged upload and on the original. */
export const FOCUS_METADATA = "focus";

export interface FocalPoint {
    x: number;
    y: number;
}

/** One coordinate as stored: 0 to 1, at most 4 decimals. */
const COORDINATE = "(0(?:\\.\\d{1,4})?|1(?:\\.0{1,4})?)";
const FOCUS_TEXT = new RegExp(`^${COORDINATE},${COORDINATE}$`);

/** The stored text of a focal point: "<x>,<y>", each rounded to 4 decimals. */
export function focusText(focus: FocalPoint): string {
    const coordinate = (value: number) => String(Number(value.toFixed(4)));
    return `${coordinate(focus.x)},${coordinate(focus.y)}`;
}

/** A focal point read from metadata; undefined for none or for text that is not one (the centre is then used). */
export function parseFocus(text: string | undefined): FocalPoint | undefined {
    const match = text === undefined ? null : FOCUS_TEXT.exec(text);
    return match ? { x: Number(match[1]), y: Number(match[2]) } : undefined;
}

/** The request body's `focus`: { x, y }, numbers from 0 to 1; 400 invalid_focus otherwise. */
export function focusFromBody(value: unknown): FocalPoint {
    const point = value as { x?: unknown; y?: unknown } | null;
    const inRange = (n: unknown) => typeof n === "number" && Number.isFinite(n) && n >= 0 && n <= 1;
    if (
        typeof point !== "object" ||
        point === null ||
        Array.isArray(point) ||
        Object.keys(point).some((field) => field !== "x" && field !== "y") ||
        !inRange(point.x) ||
        !inRange(point.y)
    ) {
        throw new HttpError(
            400,
            "invalid_focus",
            'focus must be { "x": <0 to 1>, "y": <0 to 1> }: the point to keep, from the left and top edges',
        );
    }
    return { x: point.x as number, y: point.y as number };
}
