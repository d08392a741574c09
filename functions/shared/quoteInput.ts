/**
 * Shows a caller-supplied value inside a message: JSON-quoted, cut to 80 characters, with <, > and & escaped
 * so that no echo of input can become markup wherever the message ends up.
 */
export function quoteInput(value: unknown): string {
    const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    return JSON.stringify(shown).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
