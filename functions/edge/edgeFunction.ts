// The CloudFront Function's code with the stack's enabled formats in it: what Pulumi deploys
// (infra/delivery/cdnDistribution.ts) and what the local CDN runs (local/cdn/edgeRuntime.ts), from the one source file
// functions/edge/chooseFormat.js. The formats come from the config, ordered by preference (VARIANT_FORMATS' order).
import * as fs from "fs";
import * as path from "path";
import { KEPT_EXTENSIONS, VARIANT_FORMATS } from "../shared/variantFormats";

export const EDGE_FUNCTION_SOURCE = path.join(__dirname, "chooseFormat.js");
const FORMATS_PLACEHOLDER = "__ENABLED_FORMATS__";
const KEPT_PLACEHOLDER = "__KEPT_EXTENSIONS__";
/** CloudFront Functions' maximum function size, 10 KB:
 *  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions */
export const MAX_FUNCTION_BYTES = 10 * 1024;
/** The runtime the code is written for. */
export const EDGE_FUNCTION_RUNTIME = "cloudfront-js-2.0";
/** What variant responses vary on once the function picks their format from Accept (browser and proxy caches). */
export const AUTO_FORMAT_VARY = "Accept";

/** The function's code for these enabled formats (the config's `formats`), in VARIANT_FORMATS' order of preference:
 *  AVIF (smallest) before WebP, whatever order the config lists them in. */
export function edgeFunctionCode(formats: readonly string[]): string {
    const known: readonly string[] = VARIANT_FORMATS;
    const unknown = formats.filter((format) => !known.includes(format));
    if (unknown.length > 0) throw new Error(`edge function: unknown formats ${JSON.stringify(unknown)}`);
    const source = fs.readFileSync(EDGE_FUNCTION_SOURCE, "utf8");
    const code = [
        [FORMATS_PLACEHOLDER, known.filter((format) => formats.includes(format))],
        // Originals that keep their format (variantFormats.ts): their URI is left alone, their plain variant is
        // their only one, rather than the Resizer storing the same bytes under a format key.
        [KEPT_PLACEHOLDER, KEPT_EXTENSIONS],
    ].reduce((text, [placeholder, value]) => {
        const parts = text.split(placeholder as string);
        if (parts.length !== 2) throw new Error(`${EDGE_FUNCTION_SOURCE} must name ${placeholder} exactly once`);
        return parts.join(JSON.stringify(value));
    }, source);
    const bytes = Buffer.byteLength(code);
    if (bytes > MAX_FUNCTION_BYTES) {
        throw new Error(`edge function is ${bytes} bytes; CloudFront Functions allow ${MAX_FUNCTION_BYTES}`);
    }
    return code;
}
