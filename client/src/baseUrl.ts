// The one rule for the base URLs the client is given (the CDN's and the API's).

/** `value` without trailing slashes; throws unless it is an http(s) URL or an absolute path ("/cdn"), with no ? or #. */
export function checkedBaseUrl(value: unknown, name: "cdnUrl" | "apiUrl"): string {
    const trimmed = typeof value === "string" ? value.replace(/\/+$/, "") : "";
    if ((!trimmed && value !== "/") || !/^(https?:\/\/[^/?#]+|\/)[^?#]*$/.test(trimmed || "/"))
        throw new TypeError(
            `${name} must be an http(s) URL (the stack output ${name === "cdnUrl" ? "cdnUrl" : "uploadApiUrl"}) or a path on this origin such as "/${name === "cdnUrl" ? "cdn" : "api"}", without ? or #; not ${JSON.stringify(value)}`,
        );
    return trimmed;
}
