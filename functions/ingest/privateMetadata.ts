// What sharp reports of an image's private metadata: the one test of "nothing to remove" for every format, and of
// a losslessly stripped file (jpegMarkers.ts, pngChunks.ts) before it is stored.
import sharp, { Metadata } from "sharp";

/** EXIF (GPS, camera, orientation), XMP, IPTC, or comments (a JPEG's COM, PNG text chunks). */
export function hasPrivateMetadata(metadata: Metadata): boolean {
    return (
        metadata.exif !== undefined ||
        metadata.xmp !== undefined ||
        metadata.iptc !== undefined ||
        (metadata.comments?.length ?? 0) > 0
    );
}

/**
 * A stripped copy reads back as the same image (size, orientation, ICC profile present or not) with nothing
 * private left: no EXIF but `exif` (the minimal orientation block, if one was written), no XMP, IPTC or comments.
 */
export async function readsBackClean(stripped: Buffer, upload: Metadata, exif?: Buffer): Promise<boolean> {
    const check = await sharp(stripped, { limitInputPixels: false })
        .metadata()
        .catch(() => undefined);
    if (!check) return false;
    const exifAsWritten = exif === undefined ? check.exif === undefined : check.exif?.equals(exif) === true;
    return (
        check.format === upload.format &&
        check.width === upload.width &&
        check.height === upload.height &&
        (check.orientation ?? 1) === (upload.orientation ?? 1) &&
        (check.icc === undefined) === (upload.icc === undefined) &&
        exifAsWritten &&
        !hasPrivateMetadata({ ...check, exif: undefined })
    );
}
