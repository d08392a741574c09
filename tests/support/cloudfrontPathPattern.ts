// CloudFront's documented cache-behaviour matching, to test which requests reach which origin:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern
// - the pattern is compared with the request path (no query string), case-sensitively, as a whole;
// - `*` matches 0 or more characters (including `/`), `?` exactly one; everything else is literal;
// - a leading `/` on the pattern makes no difference;
// - behaviours are tried in the order listed, the default behaviour (`*`) last.

export interface Behaviour {
    pathPattern: string;
    targetOriginId: string;
}

export function pathPatternMatches(pattern: string, requestPath: string): boolean {
    if (pattern.length > 255) throw new Error(`CloudFront refuses path patterns over 255 characters: ${pattern}`);
    const source = pattern
        .replace(/^\//, "")
        .split("")
        .map((char) => (char === "*" ? ".*" : char === "?" ? "." : char.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("");
    const path = requestPath.split("?")[0].replace(/^\//, "");
    return new RegExp(`^${source}$`, "s").test(path);
}

/** The origin (or origin group) id CloudFront sends a request for this path to. */
export function routeRequest(ordered: Behaviour[] | undefined, defaultOriginId: string, requestPath: string): string {
    return (
        (ordered ?? []).find((b) => pathPatternMatches(b.pathPattern, requestPath))?.targetOriginId ?? defaultOriginId
    );
}
