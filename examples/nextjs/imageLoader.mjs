// next.config.mjs's images.loaderFile: the client library's loader over the stack's width-only sizes.
import { nextImageLoader } from "@image-pipeline/client";

export default nextImageLoader({
    cdnUrl: process.env.IMAGE_CDN_URL,
    widths: process.env.IMAGE_WIDTHS.split(",").map(Number),
});
