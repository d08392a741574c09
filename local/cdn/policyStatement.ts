// A CloudFront policy statement read and applied as CloudFront does for a signed URL or signed cookies: one
// statement, its Resource (wildcards * and ? within each section of the URL), DateLessThan (required),
// DateGreaterThan and IpAddress (IPv4 CIDR) — every name spelt exactly, anything else a malformed policy.
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-custom-policy.html

export interface PolicyStatement {
    resource?: string;
    /** Epoch seconds. */
    dateLessThan: number;
    dateGreaterThan?: number;
    /** [address as a 32-bit number, prefix length]. */
    sourceIp?: [number, number];
}

/** The viewer's request as a statement is checked against. */
export interface ViewerRequest {
    /** The URL the viewer asked for, with its query string minus the signing parameters. */
    url: string;
    /** The viewer's address (IPv4, or IPv6 which no IpAddress condition allows). */
    sourceIp: string;
    nowMs: number;
}

const EPOCH_TIME = "AWS:EpochTime";
const SOURCE_IP = "AWS:SourceIp";
const CONDITIONS = ["DateLessThan", "DateGreaterThan", "IpAddress"];

/** The one statement of a policy's JSON text; undefined when CloudFront would call the policy malformed. */
export function parsePolicyStatement(text: string): PolicyStatement | undefined {
    let policy: unknown;
    try {
        policy = JSON.parse(text);
    } catch {
        return undefined;
    }
    if (!isObject(policy) || !onlyKeys(policy, ["Statement"])) return undefined;
    // "You can include only one statement in the policy": as an object, or a list of exactly one.
    const statement = Array.isArray(policy.Statement)
        ? policy.Statement.length === 1
            ? policy.Statement[0]
            : undefined
        : policy.Statement;
    if (!isObject(statement) || !onlyKeys(statement, ["Resource", "Condition"])) return undefined;
    const { Resource: resource, Condition: condition } = statement;
    if (resource !== undefined && typeof resource !== "string") return undefined;
    if (!isObject(condition) || !onlyKeys(condition, CONDITIONS)) return undefined;
    const dateLessThan = epochTime(condition.DateLessThan);
    if (dateLessThan === undefined) return undefined; // the one required condition
    const dateGreaterThan = condition.DateGreaterThan === undefined ? undefined : epochTime(condition.DateGreaterThan);
    if (condition.DateGreaterThan !== undefined && dateGreaterThan === undefined) return undefined;
    let sourceIp: [number, number] | undefined;
    if (condition.IpAddress !== undefined) {
        const range = condition.IpAddress;
        sourceIp = isObject(range) && onlyKeys(range, [SOURCE_IP]) ? cidr(range[SOURCE_IP]) : undefined;
        if (!sourceIp) return undefined;
    }
    return {
        ...(resource === undefined ? {} : { resource }),
        dateLessThan,
        ...(dateGreaterThan === undefined ? {} : { dateGreaterThan }),
        ...(sourceIp ? { sourceIp } : {}),
    };
}

/** Whether the statement lets this request through: its URL, its time, its address. */
export function statementAllows(statement: PolicyStatement, request: ViewerRequest): boolean {
    const now = request.nowMs / 1000;
    if (!(now < statement.dateLessThan)) return false;
    if (statement.dateGreaterThan !== undefined && now < statement.dateGreaterThan) return false;
    if (statement.sourceIp) {
        const address = ipv4(request.sourceIp.replace(/^::ffff:/, ""));
        if (address === undefined || !inRange(address, statement.sourceIp)) return false;
    }
    return statement.resource === undefined || resourceMatches(statement.resource, request.url);
}

/**
 * Whether a policy's Resource matches a URL. The pattern is split into protocol, domain, path and query string
 * ("[protocol]://[domain]/[path]\?[query string]") and each wildcard stays within its section, except: a trailing
 * * in the path implies * in the query string; a trailing * in the domain implies * in path and query string; a
 * pattern may start with * in the domain, its protocol then being *; and "*" alone matches any URL.
 */
export function resourceMatches(pattern: string, url: string): boolean {
    if (pattern === "*") return true;
    const parsed = new URL(url);
    const [protocol, rest] = pattern.includes("://")
        ? [pattern.slice(0, pattern.indexOf("://")), pattern.slice(pattern.indexOf("://") + 3)]
        : pattern.startsWith("*")
          ? ["*", pattern]
          : [undefined, pattern];
    if (protocol === undefined) return false; // the protocol must be http://, https:// or *://
    const slash = rest.indexOf("/");
    const domain = slash < 0 ? rest : rest.slice(0, slash);
    let path: string;
    let query: string | undefined;
    if (slash < 0) {
        [path, query] = domain.endsWith("*") ? ["*", "*"] : ["", ""];
    } else {
        const pathAndQuery = rest.slice(slash + 1);
        const split = pathAndQuery.indexOf("\\?");
        path = split < 0 ? pathAndQuery : pathAndQuery.slice(0, split);
        query = split < 0 ? undefined : pathAndQuery.slice(split + 2);
    }
    query ??= path.endsWith("*") ? "*" : "";
    return (
        wildcard(protocol).test(parsed.protocol.replace(/:$/, "")) &&
        wildcard(domain).test(parsed.host) &&
        wildcard(path).test(parsed.pathname.replace(/^\//, "")) &&
        wildcard(query).test(parsed.search.replace(/^\?/, ""))
    );
}

/** A section's pattern as a whole-string match: * any run of characters, ? exactly one. */
function wildcard(pattern: string): RegExp {
    const escaped = pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
    return new RegExp(`^${escaped}$`, "s");
}

function epochTime(value: unknown): number | undefined {
    if (!isObject(value) || !onlyKeys(value, [EPOCH_TIME])) return undefined;
    const epoch = value[EPOCH_TIME];
    return typeof epoch === "number" && Number.isSafeInteger(epoch) && epoch >= 0 ? epoch : undefined;
}

/** "192.0.2.0/24" as [address, prefix]; CloudFront takes IPv4 CIDR only (a single address is "/32"). */
function cidr(value: unknown): [number, number] | undefined {
    const match = typeof value === "string" ? /^([\d.]+)\/(\d{1,2})$/.exec(value) : null;
    const address = match ? ipv4(match[1]) : undefined;
    const prefix = match ? Number(match[2]) : NaN;
    return address !== undefined && prefix <= 32 ? [address, prefix] : undefined;
}

function ipv4(text: string): number | undefined {
    const parts = text.split(".");
    if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255))
        return undefined;
    return parts.reduce((address, part) => address * 256 + Number(part), 0);
}

function inRange(address: number, [network, prefix]: [number, number]): boolean {
    const size = 2 ** (32 - prefix);
    return Math.floor(address / size) === Math.floor(network / size);
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function onlyKeys(value: Record<string, unknown>, allowed: string[]): boolean {
    return Object.keys(value).every((key) => allowed.includes(key));
}
