// Whether a GIF is complete: libvips' GIF loader decodes a file cut short without an error (the frames it has are
// shown, the rest left blank), so failOn cannot refuse a truncated GIF. Its block structure can: a GIF is a header,
// a logical screen descriptor with an optional global colour table, then blocks until the trailer 0x3B
// (GIF89a specification, https://www.w3.org/Graphics/GIF/spec-gif89a.txt, sections 17–27).

const EXTENSION_INTRODUCER = 0x21;
const IMAGE_SEPARATOR = 0x2c;
const TRAILER = 0x3b;

/** Size in bytes of a colour table flagged in a packed byte (bit 7 set: 3 × 2^(size field + 1) entries). */
function colourTableBytes(packed: number): number {
    return packed & 0x80 ? 3 * 2 ** ((packed & 0x07) + 1) : 0;
}

/** The offset after a run of data sub-blocks (each a length byte and that many bytes, ended by a 0 length), or
 *  undefined when the bytes end first. */
function skipSubBlocks(bytes: Buffer, at: number): number | undefined {
    while (at < bytes.length) {
        const length = bytes[at];
        at += 1 + length;
        if (length === 0) return at;
    }
    return undefined;
}

/** True when every block up to the trailer is whole; false for a GIF cut short or with an unknown block. */
export function gifIsComplete(bytes: Buffer): boolean {
    const SCREEN_DESCRIPTOR_END = 13; // "GIF89a" (6) + logical screen descriptor (7)
    if (bytes.length < SCREEN_DESCRIPTOR_END) return false;
    let at: number | undefined = SCREEN_DESCRIPTOR_END + colourTableBytes(bytes[10]);
    while (at !== undefined && at < bytes.length) {
        switch (bytes[at]) {
            case TRAILER:
                return true;
            case EXTENSION_INTRODUCER: // introducer, label, then data sub-blocks
                at = skipSubBlocks(bytes, at + 2);
                break;
            case IMAGE_SEPARATOR: {
                // separator, image descriptor (9 bytes, its packed byte last), local colour table, LZW code size
                if (at + 10 > bytes.length) return false;
                const descriptorEnd = at + 10 + colourTableBytes(bytes[at + 9]);
                at = skipSubBlocks(bytes, descriptorEnd + 1);
                break;
            }
            default:
                return false;
        }
    }
    return false;
}
