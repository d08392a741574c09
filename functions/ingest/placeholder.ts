// The placeholder a page shows while an image loads: a ThumbHash (https://github.com/evanw/thumbhash, the
// `thumbhash` package), about 25 bytes, base64 in the upload's status.
import sharp from "sharp";
import { rgbaToThumbHash } from "thumbhash";

/** ThumbHash encodes images of at most 100×100 pixels. */
const MAX_SIDE = 100;

/** The ThumbHash of an image as displayed (orientation applied; the first frame of an animation), base64. */
export async function thumbHashOf(image: Buffer): Promise<string> {
    const { data, info } = await sharp(image)
        .autoOrient()
        .resize(MAX_SIDE, MAX_SIDE, { fit: "inside" })
        .ensureAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
    return Buffer.from(rgbaToThumbHash(info.width, info.height, data)).toString("base64");
}
