// A JPEG's frame header (SOFn): which coding process made it and its sample precision, read from its marker
// segments (jpegMarkers.ts), so an upload libvips cannot decode because of what it is, not because it is broken,
// is refused as unsupported. From ITU-T T.81 (https://www.w3.org/Graphics/JPEG/itu-t81.pdf):
// - Table B.1: SOF0 baseline; SOF1 extended sequential, SOF2 progressive, SOF3 lossless (Huffman); SOF5-7 their
//   differential (hierarchical) forms; SOF9-11 and SOF13-15 the same with arithmetic coding. X'C4' (DHT), X'C8'
//   (JPG) and X'CC' (DAC) are not frame markers.
// - B.2.2: the frame header is P (sample precision, 1 byte), Y, X (2 + 2), Nf (1), then per component C (id),
//   H and V (sampling factors, one byte), Tq (its quantisation table).
// - Annex A: lossy processes code 8- or 12-bit samples (baseline 8 only); lossless ones 2 to 16 bits.
// libvips reads JPEG through sharp's libjpeg (mozjpeg, built on libjpeg-turbo) with its 8-bit interface: 8-bit
// sequential, progressive and lossless frames, Huffman or arithmetic coded (each tried: they decode). It refuses
// other precisions when it decodes ("Unsupported JPEG data precision 12") and hierarchical frames when it reads the
// header (libjpeg-turbo's jdmarker.c, JERR_SOF_UNSUPPORTED), so both are told apart from broken files here.
import { jpegSegments } from "./jpegMarkers";

export type JpegProcess = "sequential" | "progressive" | "lossless";

export interface JpegFrame {
    process: JpegProcess;
    /** Differential frames of a hierarchical image (SOF5-7, SOF13-15). */
    hierarchical: boolean;
    /** Bits per sample (P). */
    precision: number;
    components: Array<{ id: number; quantisationTable: number }>;
}

const PROCESSES: Record<number, JpegProcess> = { 0: "sequential", 1: "sequential", 2: "progressive", 3: "lossless" };

/** The first frame header of a JPEG, or undefined when it has none or its structure is not plain. */
export function jpegFrame(bytes: Buffer): JpegFrame | undefined {
    const header = jpegSegments(bytes)?.find(({ marker }) => isFrameMarker(marker));
    if (!header || header.payload.length < 6) return undefined;
    const { marker, payload } = header;
    const count = payload[5];
    if (payload.length < 6 + 3 * count) return undefined;
    const components = Array.from({ length: count }, (_, i) => ({
        id: payload[6 + 3 * i],
        quantisationTable: payload[8 + 3 * i] & 0x0f,
    }));
    return {
        process: PROCESSES[marker & 0x03],
        hierarchical: (marker & 0x04) !== 0,
        precision: payload[0],
        components,
    };
}

/** SOF0-15 except DHT (C4), JPG (C8) and DAC (CC). */
function isFrameMarker(marker: number): boolean {
    return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** What in this frame libvips does not decode, in words for the uploader; undefined if nothing. */
export function unsupportedJpegFeature(frame: JpegFrame): string | undefined {
    if (frame.hierarchical) return "a hierarchical JPEG";
    if (frame.precision !== 8) return `a ${frame.precision}-bit JPEG (only 8 bits per sample are supported)`;
    return undefined;
}
