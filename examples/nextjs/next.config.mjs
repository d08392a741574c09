// next/image through image-pipeline: every width next/image asks for is one the stack allows (width-only sizes
// "<W>x0" in allowedResolutions), so the CDN never renders a size outside the allowlist.
// IMAGE_CDN_URL: the stack output cdnUrl (or local mode's http://localhost:3000/cdn).
// IMAGE_WIDTHS: the W of each "<W>x0" size, comma-separated; Next.js's own default device sizes unless set.
import path from "node:path";

const widths = (process.env.IMAGE_WIDTHS ?? "640,750,828,1080,1200,1920,2048,3840").split(",").map(Number);

/** @type {import("next").NextConfig} */
export default {
    images: {
        loader: "custom",
        loaderFile: "./imageLoader.mjs",
        // next/image writes one srcset candidate per size here: the allowed widths, and no others, so each
        // descriptor is the width of the variant its URL names.
        deviceSizes: widths,
        imageSizes: [],
    },
    // Read by imageLoader.mjs in the server's and the browser's bundles alike (inlined at build).
    env: { IMAGE_CDN_URL: process.env.IMAGE_CDN_URL ?? "http://localhost:3000/cdn", IMAGE_WIDTHS: widths.join(",") },
    // The client library is linked from this repository's client/ (package.json "file:../../client").
    turbopack: { root: path.resolve(import.meta.dirname, "../..") },
};
