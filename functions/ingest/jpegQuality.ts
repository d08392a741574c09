// The quality a JPEG was saved at, on the IJG scale (1-100, libjpeg's `-quality`), estimated from its
// quantisation tables as ImageMagick's `identify -format %Q` does: how far its tables are scaled from the
// standard ones. Encoders derive their tables from T.81's example tables (Annex K, Tables K.1 and K.2,
// https://www.w3.org/Graphics/JPEG/itu-t81.pdf) by libjpeg's rule (jcparam.c, jpeg_quality_scaling and
// jpeg_add_quant_table): scale = quality < 50 ? 5000 / quality : 200 - 2 * quality (per cent), each entry
// (standard * scale + 50) / 100 rounded down, at least 1, at most 255 in 8-bit tables. The scale is recovered from
// the sums of the tables' entries (unbiased, since each entry is rounded to nearest), and inverted. Tables of
// other shapes (a camera's, mozjpeg's) get the IJG quality whose tables are, on the whole, as coarse.
import { jpegFrame } from "./jpegFrame";
import { jpegSegments } from "./jpegMarkers";

const DQT = 0xdb;

/** Table K.1, luminance, in natural (row by row) order. */
const STANDARD_LUMINANCE = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51,
    87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103, 99,
];
/** Table K.2, chrominance. */
const STANDARD_CHROMINANCE = [
    17,
    18,
    24,
    47,
    99,
    99,
    99,
    99,
    18,
    21,
    26,
    66,
    99,
    99,
    99,
    99,
    24,
    26,
    56,
    99,
    99,
    99,
    99,
    99,
    47,
    66,
    99,
    99,
    99,
    99,
    99,
    99,
    ...Array(32).fill(99),
];

/** Where the k-th entry of a table in zig-zag order (as DQT stores it) goes in natural order (T.81 Figure A.6). */
const ZIGZAG = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
    28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
    47, 55, 62, 63,
];

/** The quantisation tables a JPEG defines, in natural order (B.2.4.1: Pq and Tq in one byte, then 64 entries of 1
 *  or 2 bytes in zig-zag order). */
export function quantisationTables(bytes: Buffer): Map<number, { entries: number[]; bits: 8 | 16 }> | undefined {
    const segments = jpegSegments(bytes);
    if (!segments) return undefined;
    const tables = new Map<number, { entries: number[]; bits: 8 | 16 }>();
    for (const { marker, payload } of segments) {
        if (marker !== DQT) continue;
        let position = 0;
        while (position < payload.length) {
            const bits = payload[position] >> 4 === 0 ? 8 : 16;
            const id = payload[position] & 0x0f;
            const size = bits / 8;
            if (position + 1 + 64 * size > payload.length) return undefined;
            const entries = Array<number>(64);
            ZIGZAG.forEach((natural, k) => {
                entries[natural] = size === 1 ? payload[position + 1 + k] : payload.readUInt16BE(position + 1 + 2 * k);
            });
            tables.set(id, { entries, bits });
            position += 1 + 64 * size;
        }
    }
    return tables;
}

/**
 * The IJG quality (1-100) of a JPEG's luminance table (its first component's) and chrominance table (its second
 * component's, if any), together; undefined when the JPEG has no frame or tables to read.
 */
export function estimateJpegQuality(bytes: Buffer): number | undefined {
    const frame = jpegFrame(bytes);
    const tables = quantisationTables(bytes);
    if (!frame || !tables || frame.components.length === 0) return undefined;
    const luminance = tables.get(frame.components[0].quantisationTable);
    const chrominance = frame.components[1] && tables.get(frame.components[1].quantisationTable);
    if (!luminance) return undefined;
    let used = 0;
    let standard = 0;
    const add = (table: { entries: number[]; bits: 8 | 16 }, reference: number[]) => {
        table.entries.forEach((entry, i) => {
            // An 8-bit entry at 255 may have been clipped (scales above ~210%, qualities below ~24): it says only
            // "at least", so it is left out, unless every entry is (quality 1-2).
            if (table.bits === 8 && entry === 255) return;
            used += entry;
            standard += reference[i];
        });
    };
    add(luminance, STANDARD_LUMINANCE);
    if (chrominance) add(chrominance, STANDARD_CHROMINANCE);
    if (standard === 0) return 1;
    // Every entry 1: quality 100 (scale 0), which the sum alone reads as 99 (entries rounded up to 1).
    if ([luminance, chrominance].every((table) => !table || table.entries.every((entry) => entry === 1))) return 100;
    const scale = (100 * used) / standard;
    const quality = scale <= 100 ? (200 - scale) / 2 : 5000 / scale;
    return Math.min(100, Math.max(1, Math.round(quality)));
}
