// What sharp reports of an image's private metadata: the one test of "nothing to remove" for every format.
import type { Metadata } from "sharp";

/** EXIF (GPS, camera, orientation), XMP, IPTC, or comments (a JPEG's COM, PNG text chunks). */
export function hasPrivateMetadata(metadata: Metadata): boolean {
    return (
        metadata.exif !== undefined ||
        metadata.xmp !== undefined ||
        metadata.iptc !== undefined ||
        (metadata.comments?.length ?? 0) > 0
    );
}
