// Why an upload did not reach a final status, in the words of whoever refused it: the API's JSON
// `{ "error": { "code", "message" } }` (API Gateway's own 401 is `{ "message" }`), or S3's XML
// `<Error><Code>…</Code><Message>…</Message></Error>` (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).

/** Where it stopped: asking the API to sign, sending the bytes to storage, or reading the upload's status. */
export type UploadStep = "sign" | "store" | "status";

export class UploadError extends Error {
    override readonly name = "UploadError";
    constructor(
        readonly step: UploadStep,
        /** The HTTP status; 0 when no answer came (network error) or none was waited for (status time-out). */
        readonly status: number,
        message: string,
        /** The refuser's code: the API's (e.g. "too_large") or S3's (e.g. "SignatureDoesNotMatch"). */
        readonly code?: string,
    ) {
        super(message);
    }
}

/** An UploadError from a refusal's body: its own message and code when it has them, else "HTTP <status>". */
export function refusal(step: UploadStep, status: number, contentType: string | null, text: string): UploadError {
    const reason = reasonOf(contentType, text);
    return new UploadError(step, status, reason?.message || `HTTP ${status}`, reason?.code || undefined);
}

/** The code and message a refusal's body gives (API JSON or S3 XML), if any; for any answer of the API or the CDN. */
export function reasonOf(contentType: string | null, text: string): { code?: string; message?: string } | undefined {
    return jsonReason(contentType, text) ?? xmlReason(text);
}

function jsonReason(contentType: string | null, text: string): { code?: string; message?: string } | undefined {
    if (!/json/.test(contentType ?? "")) return undefined;
    try {
        const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown }; message?: unknown };
        const { code, message } = body?.error ?? { message: body?.message };
        if (typeof message !== "string") return undefined;
        return { message, code: typeof code === "string" ? code : undefined };
    } catch {
        return undefined; // not the JSON it claims to be
    }
}

function xmlReason(text: string): { code?: string; message?: string } | undefined {
    if (!/^\s*(<\?xml[^>]*>\s*)?<Error>/.test(text)) return undefined;
    const element = (name: string) => {
        const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(text);
        return match ? xmlText(match[1]) : undefined;
    };
    return { code: element("Code"), message: element("Message") };
}

/** XML's five predefined entities and character references (the text is shown as text, never as markup). */
function xmlText(text: string): string {
    const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
    return text.replace(/&(#x[\da-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (entity, name: string) => {
        if (name[0] !== "#") return named[name.toLowerCase()] ?? entity;
        const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : Number(name.slice(1));
        return code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    });
}
