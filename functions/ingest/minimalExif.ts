// The smallest EXIF block that says how to turn an image: the Orientation tag and nothing else (no camera, no
// GPS, no thumbnail), for a JPEG stored without a re-encode whose pixels are not stored as displayed. Layout from
// CIPA DC-008 (Exif 2.32), https://www.cipa.jp/std/documents/download_e.html?DC-008-Translation-2019-E:
// - §4.7.2: APP1 holds "Exif\0\0" then a TIFF structure;
// - §4.5.2 (TIFF 6.0 header): byte order "MM" (big-endian), 42, the offset of IFD0 (8: right after the header);
// - §4.6.2: an IFD is a 2-byte entry count, 12-byte entries (tag, type, count, value or offset: a SHORT value
//   sits in the first 2 of the 4 bytes), and the 4-byte offset of the next IFD (0: none);
// - §4.6.4 A: Orientation is tag 0x0112, type SHORT (3), count 1, values 1-8.

const EXIF_IDENTIFIER = Buffer.from("Exif\0\0", "latin1");
const ORIENTATION_TAG = 0x0112;
const SHORT = 3;

/** The APP1 payload (after the segment length) of an EXIF block with only this orientation (1-8). */
export function orientationExif(orientation: number): Buffer {
    if (!Number.isInteger(orientation) || orientation < 1 || orientation > 8)
        throw new RangeError(`EXIF orientation ${orientation} is not one of 1-8`);
    const tiff = Buffer.alloc(8 + 2 + 12 + 4);
    tiff.write("MM", 0, "latin1");
    tiff.writeUInt16BE(42, 2);
    tiff.writeUInt32BE(8, 4); // IFD0 follows the header
    tiff.writeUInt16BE(1, 8); // one entry
    tiff.writeUInt16BE(ORIENTATION_TAG, 10);
    tiff.writeUInt16BE(SHORT, 12);
    tiff.writeUInt32BE(1, 14); // one value
    tiff.writeUInt16BE(orientation, 18); // left-justified in the 4-byte field
    // bytes 22-25: no next IFD (0)
    return Buffer.concat([EXIF_IDENTIFIER, tiff]);
}
