// The lines a function writes to stdout (functions/shared/structuredLog.ts stdoutLine: JSON log lines and EMF metric
// lines go there, not through console), captured while a serialized closure runs in the spec's own process.
export interface CapturedStdout {
    /** The complete lines written so far. */
    lines(): string[];
    /** Gives stdout back. */
    restore(): void;
}

export function captureStdout(): CapturedStdout {
    const write = process.stdout.write;
    let text = "";
    process.stdout.write = ((chunk: string | Uint8Array) => {
        text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
        return true;
    }) as typeof process.stdout.write;
    return {
        lines: () => text.split("\n").slice(0, -1),
        restore: () => {
            process.stdout.write = write;
        },
    };
}
