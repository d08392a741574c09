// Lossless removal of a WebP's private metadata: its RIFF chunks are copied whole or left out, so the image data
// (VP8/VP8L/ALPH, or each animation frame's ANMF) is untouched and the stored original has no more bytes than the
// upload. The rules relied on, from the WebP Container Specification (RFC 9649, §2 and §3),
// https://www.rfc-editor.org/rfc/rfc9649.html:
// - §2.5-2.6: "RIFF", a 4-byte little-endian size of what follows, "WEBP", then chunks: a FourCC, a 4-byte
//   little-endian payload size, the payload, and one padding byte if the size is odd.
// - §2.7: metadata lives only in the extended format (VP8X), whose first payload byte has flags: ICC 0x20,
//   alpha 0x10, EXIF 0x08, XMP 0x04, animation 0x02. The EXIF and XMP chunks carry it; unknown chunks are to
//   be ignored by readers (§2.7.1.6).
// What is kept: VP8X (its EXIF and XMP flags cleared), ICCP, ANIM, ANMF, ALPH, VP8, VP8L. What goes: EXIF, XMP and
// every other chunk. An orientation in EXIF cannot be kept this way; such a WebP is re-encoded by the caller.

const KEPT = new Set(["VP8X", "ICCP", "ANIM", "ANMF", "ALPH", "VP8 ", "VP8L"]);
const EXIF_AND_XMP_FLAGS = 0x08 | 0x04;

/** The WebP without its EXIF, XMP and unknown chunks; undefined when its RIFF structure is not plain. */
export function stripWebpMetadata(bytes: Buffer): Buffer | undefined {
    if (bytes.length < 12 || bytes.toString("latin1", 0, 4) !== "RIFF" || bytes.toString("latin1", 8, 12) !== "WEBP")
        return undefined;
    const end = 8 + bytes.readUInt32LE(4);
    if (end > bytes.length) return undefined;
    const parts: Buffer[] = [];
    let position = 12;
    while (position < end) {
        if (position + 8 > end) return undefined;
        const fourCc = bytes.toString("latin1", position, position + 4);
        const size = bytes.readUInt32LE(position + 4);
        const next = position + 8 + size + (size % 2);
        if (next > end) return undefined;
        if (fourCc === "VP8X") {
            const chunk = Buffer.from(bytes.subarray(position, next));
            chunk[8] &= ~EXIF_AND_XMP_FLAGS;
            parts.push(chunk);
        } else if (KEPT.has(fourCc)) {
            parts.push(bytes.subarray(position, next));
        }
        position = next;
    }
    const body = Buffer.concat(parts);
    const header = Buffer.from("RIFF\0\0\0\0WEBP", "latin1");
    header.writeUInt32LE(4 + body.length, 4);
    return Buffer.concat([header, body]); // whatever followed the RIFF chunk is not part of this image
}
