// Lossless removal of a JPEG's private metadata: its marker segments are rewritten, its entropy-coded data
// (the pixels) copied byte for byte, so the stored original decodes to exactly the upload's pixels. The rules
// relied on, from ITU-T T.81 (ISO/IEC 10918-1), https://www.w3.org/Graphics/JPEG/itu-t81.pdf:
// - B.1.1.2: a marker is X'FF' then a byte that is neither 0 nor X'FF'; any number of X'FF' fill bytes may
//   precede a marker. Table B.1: SOI D8, EOI D9, SOS DA, RST0-7 D0-D7 and TEM 01 stand alone (no length).
// - B.1.1.4: every other marker starts a segment whose 2-byte big-endian length counts itself, not the marker.
// - B.1.1.5, F.1.2.3: after SOS's header comes entropy-coded data in which an X'FF' byte is always followed by a
//   stuffed 0 (or is an RSTn marker), so the first X'FF' followed by anything else starts the next marker.
// - B.2.4.5, B.2.4.6: COM and APPn segments are free for applications: no decoder needs them, except the few
//   kept below.
// What is kept: APP0 "JFIF" (T.871 §10.1; its optional thumbnail dropped, a preview that may show what an edit
// cut away), APP2 "ICC_PROFILE" (ICC.1:2010 Annex B.4: the colours, possibly split over several APP2 segments),
// APP14 "Adobe" (Adobe Technical Note #5116: its transform flag says whether the data is YCbCr or RGB/CMYK).
// What goes: APP1 (EXIF with GPS and camera data, CIPA DC-008 §4.7.2; XMP), APP13 (Photoshop IRB with IPTC),
// every other APPn (maker data, FlashPix and MPF in APP2), COM, and anything after EOI (MPF's appended images).

import { orientationExif } from "./minimalExif";

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;
const COM = 0xfe;

const isRst = (marker: number) => marker >= 0xd0 && marker <= 0xd7;
const isApp = (marker: number) => marker >= 0xe0 && marker <= 0xef;
const startsWith = (payload: Buffer, signature: string) =>
    payload.subarray(0, signature.length).equals(Buffer.from(signature, "latin1"));

/** JFIF's fixed fields: "JFIF\0", version (2), units (1), densities (2 + 2), thumbnail width and height (1 + 1). */
const JFIF_FIXED_BYTES = 14;

function segment(marker: number, payload: Buffer): Buffer {
    const header = Buffer.from([0xff, marker, 0, 0]);
    header.writeUInt16BE(payload.length + 2, 2);
    return Buffer.concat([header, payload]);
}

/** The segment to write instead of this one: itself, a smaller copy, or undefined to drop it. */
function kept(marker: number, payload: Buffer): Buffer | undefined {
    if (marker === COM) return undefined;
    if (!isApp(marker)) return segment(marker, payload); // tables, frame and scan headers, DRI, DNL ...
    if (marker === APP0 && startsWith(payload, "JFIF\0") && payload.length >= JFIF_FIXED_BYTES) {
        const fixed = Buffer.from(payload.subarray(0, JFIF_FIXED_BYTES));
        fixed[12] = 0; // no thumbnail
        fixed[13] = 0;
        return segment(marker, fixed);
    }
    if (marker === APP2 && startsWith(payload, "ICC_PROFILE\0")) return segment(marker, payload);
    if (marker === APP14 && startsWith(payload, "Adobe")) return segment(marker, payload);
    return undefined;
}

/** One marker segment: its marker byte and payload (after the length); an SOS also carries its scan's
 *  entropy-coded data. Standalone markers (TEM) have an empty payload. */
export interface JpegSegment {
    marker: number;
    payload: Buffer;
    /** After an SOS: the entropy-coded data up to the next marker (restart markers and fill bytes included). */
    entropyCoded?: Buffer;
}

/**
 * The JPEG's segments from SOI to EOI (both left out; whatever follows EOI is not part of this image), or
 * undefined when its structure is not the plain one above. Works for any number of scans.
 */
export function jpegSegments(bytes: Buffer): JpegSegment[] | undefined {
    if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== SOI) return undefined;
    const segments: JpegSegment[] = [];
    let position = 2;
    while (position < bytes.length) {
        if (bytes[position] !== 0xff) return undefined;
        while (bytes[position] === 0xff) position++; // fill bytes
        const marker = bytes[position++];
        if (marker === undefined || marker === 0 || marker === SOI || isRst(marker)) return undefined;
        if (marker === EOI) return segments;
        if (marker === TEM) {
            segments.push({ marker, payload: Buffer.alloc(0) });
            continue;
        }
        if (position + 2 > bytes.length) return undefined;
        const length = bytes.readUInt16BE(position);
        if (length < 2 || position + length > bytes.length) return undefined;
        const payload = bytes.subarray(position + 2, position + length);
        position += length;
        if (marker !== SOS) {
            segments.push({ marker, payload });
            continue;
        }
        const end = entropyCodedEnd(bytes, position);
        if (end === undefined) return undefined;
        segments.push({ marker, payload, entropyCoded: bytes.subarray(position, end) });
        position = end;
    }
    return undefined; // no EOI
}

/**
 * The JPEG without its private metadata, pixels untouched; undefined when its structure is not the plain one
 * above (the caller then re-encodes). An `orientation` other than 1 is kept as a minimal EXIF block (that tag
 * alone, minimalExif.ts), after JFIF, so viewers still display the image turned as its camera meant.
 */
export function stripJpegMetadata(bytes: Buffer, options: { orientation?: number } = {}): Buffer | undefined {
    const segments = jpegSegments(bytes);
    if (!segments) return undefined;
    const parts: Buffer[] = [Buffer.from([0xff, SOI])];
    for (const { marker, payload, entropyCoded } of segments) {
        const replacement = marker === TEM ? Buffer.from([0xff, TEM]) : kept(marker, payload);
        if (replacement) parts.push(replacement);
        if (entropyCoded) parts.push(entropyCoded);
    }
    const orientation = options.orientation ?? 1;
    if (orientation !== 1) {
        // Right after SOI, or after JFIF where it leads (T.871 §10.1: JFIF's APP0 follows SOI).
        const afterJfif = parts[1]?.[1] === APP0 ? 2 : 1;
        parts.splice(afterJfif, 0, segment(APP1, orientationExif(orientation)));
    }
    parts.push(Buffer.from([0xff, EOI]));
    return Buffer.concat(parts);
}

/** Where the entropy-coded data starting at `start` ends: at the X'FF' of the next marker that is not RSTn. */
function entropyCodedEnd(bytes: Buffer, start: number): number | undefined {
    let position = start;
    for (;;) {
        const ff = bytes.indexOf(0xff, position);
        if (ff < 0 || ff + 1 >= bytes.length) return undefined;
        const next = bytes[ff + 1];
        if (next === 0 || isRst(next) || next === 0xff) {
            position = ff + 1; // a stuffed byte, a restart marker, or a fill byte before a marker
            continue;
        }
        return ff;
    }
}
