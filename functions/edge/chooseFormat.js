// CloudFront Function (viewer-request, runtime cloudfront-js-2.0) on the per-size variant behaviours: picks the
// smallest image format the browser says it takes, from the stack's enabled formats, and rewrites
//   /<W>x<H>/uploads/<id>.<ext>  →  /<W>x<H>/<fmt>/uploads/<id>.<ext>   (fmt: avif | webp; none = the original's format)
// so the cache key is the URI alone: at most one object per format and no header in the key.
// This one file is the deployed code (infra/delivery/cdnDistribution.ts) and what the local CDN runs in a vm context
// (local/cdn/edgeRuntime.ts); functions/edge/edgeFunction.ts puts the enabled formats in place of the placeholder.
// Written for the runtime 2.0 feature list: ES 5.1 plus const/let; no eval, timers, network or require:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html
// Event shape (header names lowercase, `multiValue` when a header repeats):
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html

/** The enabled formats, most preferred first (smallest output first); injected by functions/edge/edgeFunction.ts. */
const ENABLED_FORMATS = __ENABLED_FORMATS__;

/** Browsers send 50–300 bytes of Accept for an image; anything this long is no browser's, and not worth parsing. */
const MAX_ACCEPT_LENGTH = 1024;
/** A variant's URI without a format segment: "/<W>x<H>/uploads/<rest>", "<W>x0" and "0x<H>" included, "0x0" not
 *  (sizes as bucketLayout's SIZE_PATTERN; tests/unit/widthOnlySizes.spec.ts holds both to the same cases). */
const VARIANT_URI = /^\/((?!0x0\/)(?:0|[1-9][0-9]{0,5})x(?:0|[1-9][0-9]{0,5}))\/(uploads\/[^?#]*\.([A-Za-z0-9]{1,5}))$/;
/** RFC 9110 token, media range type "/" subtype, and qvalue. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const QUOTED = /^"[^"\\]*"$/;
const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;
/** Extensions of originals whose variants keep the original's format whatever is asked (AVIF and WebP originals:
 *  functions/shared/variantFormats.ts); their plain URI is their only variant. Injected by edgeFunction.ts. */
const KEPT_EXTENSIONS = __KEPT_EXTENSIONS__;

// biome-ignore lint/correctness/noUnusedVariables: CloudFront calls the function named handler
function handler(event) {
    const request = event.request;
    try {
        const match = VARIANT_URI.exec(request.uri);
        if (match === null) return request; // originals, explicit /<W>x<H>/<fmt>/ paths, anything else: untouched
        if (KEPT_EXTENSIONS.indexOf(match[3].toLowerCase()) !== -1) return request;
        const format = chooseFormat(acceptHeader(request.headers));
        if (format !== null) {
            request.uri = `/${match[1]}/${format}/${match[2]}`;
        }
    } catch (_error) {
        // Never fail a request over a header: the original format is always a right answer.
    }
    return request;
}

/** Every Accept header's value, joined as one list (a repeated header is the same as one comma-joined). */
function acceptHeader(headers) {
    const header = headers === undefined ? undefined : headers.accept;
    if (header === undefined || header === null) return "";
    if (header.multiValue && header.multiValue.length > 0) {
        const values = [];
        for (let i = 0; i < header.multiValue.length; i++) values.push(String(header.multiValue[i].value));
        return values.join(",");
    }
    return typeof header.value === "string" ? header.value : "";
}

/**
 * The enabled format with the highest q the header gives it by name (ties: ENABLED_FORMATS' order), or null for
 * the original. Only an explicit "image/avif" or "image/webp" counts: `image/*` and `*\/*` are sent by browsers that
 * decode neither. q=0 refuses. A malformed or overlong header counts as none.
 */
function chooseFormat(accept) {
    const accepted = explicitImageQualities(accept);
    if (accepted === null) return null;
    let best = null;
    let bestQ = 0;
    for (let i = 0; i < ENABLED_FORMATS.length; i++) {
        const q = accepted[ENABLED_FORMATS[i]];
        if (q !== undefined && q > bestQ) {
            best = ENABLED_FORMATS[i];
            bestQ = q;
        }
    }
    return best;
}

/** { <format>: q } for the enabled formats' image/<format> ranges named, the lowest q when one is named twice; null when
 *  the header is too long or any element is not `type/subtype *( ; name=value )`. Empty elements are allowed. */
function explicitImageQualities(accept) {
    if (accept.length > MAX_ACCEPT_LENGTH) return null;
    const qualities = {};
    const elements = accept.split(",");
    for (let i = 0; i < elements.length; i++) {
        const element = elements[i].trim();
        if (element === "") continue;
        const parts = element.split(";");
        const range = parts[0].trim().toLowerCase().split("/");
        if (range.length !== 2 || !TOKEN.test(range[0]) || !TOKEN.test(range[1])) return null;
        let q = 1;
        for (let j = 1; j < parts.length; j++) {
            const parameter = parts[j].trim();
            if (parameter === "") continue; // RFC 9110 allows empty parameters ("a/b;;q=1")
            const eq = parameter.indexOf("=");
            if (eq < 1) return null;
            const name = parameter.slice(0, eq).trim().toLowerCase();
            const value = parameter.slice(eq + 1).trim();
            if (!TOKEN.test(name) || !(TOKEN.test(value) || QUOTED.test(value))) return null;
            if (name === "q") {
                if (!QVALUE.test(value)) return null;
                q = parseFloat(value);
            }
        }
        if (range[0] === "image" && ENABLED_FORMATS.indexOf(range[1]) !== -1) {
            const known = qualities[range[1]];
            qualities[range[1]] = known === undefined || q < known ? q : known;
        }
    }
    return qualities;
}
