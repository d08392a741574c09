// One byte range of a Range header, as RFC 9110 §14 defines it (https://www.rfc-editor.org/rfc/rfc9110#section-14).
// CloudFront follows the RFC, and answers the whole object with 200 for range sets it does not serve as asked
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RangeGETs.html): so do we for anything
// but one well-formed range (several ranges, another unit, bad syntax). RFC 9110 lets a server ignore Range.

export interface ByteRange {
    start: number;
    /** Inclusive. */
    end: number;
}

/** The range to send, "unsatisfiable" (416), or undefined to send the whole representation (200). */
export function byteRange(header: string | undefined, length: number): ByteRange | "unsatisfiable" | undefined {
    if (header === undefined) return undefined;
    const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
    if (!match || (match[1] === "" && match[2] === "")) return undefined;
    const [first, last] = [match[1], match[2]];
    if (first === "") {
        // Suffix range: the last N bytes; N = 0 can select nothing.
        const suffix = Number(last);
        if (suffix === 0 || length === 0) return "unsatisfiable";
        return { start: Math.max(0, length - suffix), end: length - 1 };
    }
    const start = Number(first);
    if (last !== "" && Number(last) < start) return undefined; // invalid range-spec: ignored
    if (start >= length) return "unsatisfiable";
    return { start, end: last === "" ? length - 1 : Math.min(Number(last), length - 1) };
}
