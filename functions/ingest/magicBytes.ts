// What a file's first bytes say it is, whatever its name or Content-Type claims. Signatures from each format's
// specification: JPEG SOI + marker (FF D8 FF), PNG's 8-byte signature, GIF87a/GIF89a, RIFF....WEBP, and for
// AVIF an ISO-BMFF `ftyp` box whose major or a compatible brand is avif/avis.
import { ImageContentType } from "../shared/imageTypes";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const AVIF_BRANDS = new Set(["avif", "avis"]);

function ascii(bytes: Buffer, start: number, end: number): string {
    return bytes.subarray(start, end).toString("latin1");
}

/** The image type the bytes begin with; undefined when they are none of the pipeline's formats. */
export function sniffImageType(bytes: Buffer): ImageContentType | undefined {
    if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
    if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return "image/png";
    if (bytes.length >= 6 && (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a")) return "image/gif";
    if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "image/webp";
    if (bytes.length >= 16 && ascii(bytes, 4, 8) === "ftyp") {
        const boxSize = Math.min(bytes.readUInt32BE(0), bytes.length);
        const brands = [ascii(bytes, 8, 12)];
        for (let offset = 16; offset + 4 <= boxSize; offset += 4) brands.push(ascii(bytes, offset, offset + 4));
        if (brands.some((brand) => AVIF_BRANDS.has(brand))) return "image/avif";
    }
    return undefined;
}
