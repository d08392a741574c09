// Lossless removal of a PNG's private metadata: its chunks are copied whole (each with its own CRC) or left out,
// so the image data (IDAT) is untouched and the stored original has no more bytes than the upload. The rules
// relied on, from PNG (Third Edition), https://www.w3.org/TR/png-3/:
// - §5.2: the file is the 8-byte signature, then chunks; §5.3: each is a 4-byte big-endian data length, a 4-byte
//   type, the data, and a CRC over type and data; §5.4: a type whose first letter is upper case is critical (a
//   decoder must know it), lower case ancillary; IEND ends the file.
// - §11.3: the ancillary chunks kept say how to show the pixels: tRNS (transparency), cHRM, gAMA, iCCP, sBIT, sRGB,
//   cICP, mDCv, cLLI (colour), bKGD, pHYs (pixel aspect), and APNG's acTL, fcTL, fdAT (§11.3.5, animation).
// What goes: tEXt, zTXt, iTXt (text: authors, places, software, anything), eXIf (EXIF, possibly GPS), tIME and any
// other ancillary chunk. An orientation in eXIf cannot be kept this way; such a PNG is re-encoded by the caller.

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const KEPT = new Set([
    "IHDR",
    "PLTE",
    "IDAT",
    "IEND",
    "tRNS",
    "cHRM",
    "gAMA",
    "iCCP",
    "sBIT",
    "sRGB",
    "cICP",
    "mDCv",
    "cLLI",
    "bKGD",
    "pHYs",
    "acTL",
    "fcTL",
    "fdAT",
]);

/**
 * The PNG without its private metadata chunks, image data untouched; undefined when its structure is not plain
 * (then the caller re-encodes): a chunk longer than the file, no IEND, or a critical chunk this list does not know.
 */
export function stripPngMetadata(bytes: Buffer): Buffer | undefined {
    if (bytes.length < SIGNATURE.length || !bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE)) return undefined;
    const parts: Buffer[] = [SIGNATURE];
    let position = SIGNATURE.length;
    while (position + 12 <= bytes.length) {
        const length = bytes.readUInt32BE(position);
        const end = position + 12 + length;
        if (end > bytes.length) return undefined;
        const type = bytes.toString("latin1", position + 4, position + 8);
        const critical = (bytes[position + 4] & 0x20) === 0;
        if (KEPT.has(type)) parts.push(bytes.subarray(position, end));
        else if (critical) return undefined;
        if (type === "IEND") return Buffer.concat(parts);
        position = end;
    }
    return undefined; // no IEND
}
