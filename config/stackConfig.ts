// One typed, validated configuration for the stack and for local mode.
// Values arrive as strings keyed "<project>:<key>" (what `pulumi config` stores; list values set with
// --path arrive as JSON text), so the same parser serves the Pulumi engine and a Pulumi.<stack>.yaml file.
// <project> is the `name` in Pulumi.yaml (what `pulumi config set` writes keys under), never a literal here.

import * as fs from "fs";
import * as path from "path";
import { IMAGE_CONTENT_TYPES, ImageContentType, isImageContentType } from "../functions/shared/imageTypes";
import { quoteInput as quote } from "../functions/shared/quoteInput";
import { RESIZE_FITS, ResizeFit } from "../functions/resize/settings";
import { isVariantFormat, SIZE_PATTERN, VARIANT_FORMATS, VariantFormat } from "../functions/shared/bucketLayout";
import { FARGATE_CPU_UNITS, FargateCpu, fargateSizeProblem, RESIZER_RUNTIMES, ResizerRuntime } from "./fargateSizes";

/**
 * The project's name from Pulumi.yaml: `pulumi config set k v` stores `<name>:k`, so a renamed project must
 * read its keys under the new name. Under the engine index.ts passes pulumi.getProject() instead. A regex,
 * not a YAML parser: `name` is a required top-level scalar, and the `yaml` package is a devDependency only.
 */
export function projectNamespace(projectDir = path.resolve(__dirname, "..")): string {
    const text = fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8");
    const match = /^name:[ \t]*(["']?)([A-Za-z0-9_.-]+)\1[ \t]*(#.*)?$/m.exec(text);
    if (!match) throw new Error(`${path.join(projectDir, "Pulumi.yaml")} has no top-level project name`);
    return match[2];
}

/** HTTP APIs give up on an integration after 30 s, a hard limit (REST APIs may raise theirs; HTTP APIs may not):
 *  https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html */
export const HTTP_API_MAX_INTEGRATION_TIMEOUT_SECONDS = 30;
/** CloudFront's default quota for an origin's response (read) timeout: 1–60 s.
 *  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html */
export const CLOUDFRONT_MAX_ORIGIN_READ_TIMEOUT_SECONDS = 60;
/** 75 cache behaviours per distribution (default quota, same page); the stack uses one for the default and one
 *  for originals, so at most 73 sizes get a behaviour each. */
export const MAX_ALLOWED_RESOLUTIONS = 73;
const RESERVED_CONCURRENCY_OFF = ["none", "off"];
/** Eager variants are rendered one after another inside one ingest invocation (60 s timeout): about 0.2–0.8 s
 *  each for an 18 MP photo (issue 14's measurements), so ten stay far from it. */
export const MAX_EAGER_RESOLUTIONS = 10;

export const PRICE_CLASSES = ["PriceClass_All", "PriceClass_200", "PriceClass_100"] as const;
export const LAMBDA_ARCHITECTURES = ["arm64", "x86_64"] as const;

export interface PipelineConfig {
    /** Variant sizes the Resizer makes, as "WxH"; empty (only with allowAnyResolution) allows any size up to maxResizeDimension. */
    allowedResolutions: string[];
    /** The explicit opt-in to any size up to maxResizeDimension (allowedResolutions must then be empty). */
    allowAnyResolution: boolean;
    /** Variant sizes made at ingest, before the upload is announced ready (a subset of allowedResolutions). */
    eagerResolutions: string[];
    maxResizeDimension: number;
    corsOrigins: string[];
    corsAllowCredentials: boolean;
    allowedContentTypes: ImageContentType[];
    maxUploadBytes: number;
    /** Lifetime of presigned URLs and POST policies, in seconds (at most MAX_UPLOAD_EXPIRES_IN). */
    uploadExpiresIn: number;
    /** Refuse to sign a PUT whose client does not declare its byte size (so every PUT URL caps the size). */
    requireUploadSize: boolean;
    priceClass: (typeof PRICE_CLASSES)[number];
    domainNames: string[];
    certificateArn?: string;
    /** A KMS key ARN in the stack's region, or KMS_CREATE: the stack makes the key and its policy. */
    kmsKeyArn?: string;
    forceDestroy: boolean;
    jwtIssuer?: string;
    jwtAudience: string[];
    resizerArchitecture: (typeof LAMBDA_ARCHITECTURES)[number];
    resizerMemoryMb: number;
    resizerTimeoutSeconds: number;
    /** How long CloudFront waits for the Resizer's answer; the Lambda timeout may not exceed it. */
    resizerOriginReadTimeoutSeconds: number;
    /** CloudFront's connection attempts to the Resizer origin (each may be a billed invocation). */
    resizerOriginConnectionAttempts: number;
    /** Undefined only when turned off explicitly ("none"/"off"). */
    resizerReservedConcurrency?: number;
    resizeFit: ResizeFit;
    resizeQuality: number;
    /** Formats variants may be rendered in besides the original's own (the `<W>x<H>/<format>/...` keys); empty:
     *  every variant keeps its original's format. */
    formats: VariantFormat[];
    /** Pick the variant's format from the browser's Accept header at the CDN (among `formats`). */
    autoFormat: boolean;
    /** Largest original the Resizer decodes, in pixels summed over all frames. */
    limitInputPixels: number;
    /** Where the Resizer runs: Lambda (default) or containers on ECS Fargate behind an internal ALB. */
    resizerRuntime: ResizerRuntime;
    /** fargate only: task size (CPU units, memory MiB), task count bounds and the CPU % autoscaling keeps. */
    fargateCpu: FargateCpu;
    fargateMemoryMb: number;
    fargateMinTasks: number;
    fargateMaxTasks: number;
    fargateTargetCpuPercent: number;
    /** fargate: also keep ALB requests per task at this level (a second target-tracking policy); off when unset. */
    fargateTargetRequestsPerTask?: number;
}

/** `kmsKeyArn: create`: ImageBucket makes the key, with the key policy CloudFront's OAC needs. */
export const KMS_CREATE = "create";

/**
 * A presigned URL stops working when the credentials that signed it expire, whatever X-Amz-Expires says
 * (https://repost.aws/knowledge-center/presigned-url-s3-bucket-expiration), and a Lambda execution role's
 * credentials "don't necessarily comply with the role's session duration settings" (same page): their remaining
 * lifetime at signing time is not documented. 15 minutes is the shortest session STS issues
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html, DurationSeconds minimum 900), so no
 * longer expiry is offered than any role session is made to last.
 */
export const MAX_UPLOAD_EXPIRES_IN = 900;

export const CONFIG_DEFAULTS: PipelineConfig = {
    allowedResolutions: ["300x300", "640x480", "1280x720"],
    allowAnyResolution: false,
    eagerResolutions: [],
    maxResizeDimension: 2048,
    corsOrigins: ["http://localhost:3000"],
    corsAllowCredentials: false,
    allowedContentTypes: IMAGE_CONTENT_TYPES,
    maxUploadBytes: 10 * 1024 * 1024,
    uploadExpiresIn: 300,
    requireUploadSize: false,
    priceClass: "PriceClass_200",
    domainNames: [],
    forceDestroy: false,
    jwtAudience: [],
    resizerArchitecture: "arm64",
    resizerMemoryMb: 1536,
    resizerTimeoutSeconds: 30,
    resizerOriginReadTimeoutSeconds: 30,
    resizerOriginConnectionAttempts: 2,
    resizerReservedConcurrency: 10,
    resizeFit: "cover",
    resizeQuality: 80,
    formats: ["avif", "webp"],
    autoFormat: true,
    limitInputPixels: 50_000_000,
    resizerRuntime: "lambda",
    fargateCpu: "1024",
    fargateMemoryMb: 2048,
    fargateMinTasks: 1,
    fargateMaxTasks: 4,
    fargateTargetCpuPercent: 60,
};

/** Thrown with every invalid key listed, before any resource is declared. */
export class ConfigError extends Error {
    constructor(
        readonly problems: string[],
        namespace: string,
    ) {
        super(`Invalid ${namespace} configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

const KNOWN_KEYS: Record<keyof PipelineConfig, true> = {
    allowedResolutions: true,
    allowAnyResolution: true,
    eagerResolutions: true,
    maxResizeDimension: true,
    corsOrigins: true,
    corsAllowCredentials: true,
    allowedContentTypes: true,
    maxUploadBytes: true,
    uploadExpiresIn: true,
    requireUploadSize: true,
    priceClass: true,
    domainNames: true,
    certificateArn: true,
    kmsKeyArn: true,
    forceDestroy: true,
    jwtIssuer: true,
    jwtAudience: true,
    resizerArchitecture: true,
    resizerMemoryMb: true,
    resizerTimeoutSeconds: true,
    resizerOriginReadTimeoutSeconds: true,
    resizerOriginConnectionAttempts: true,
    resizerReservedConcurrency: true,
    resizeFit: true,
    resizeQuality: true,
    formats: true,
    autoFormat: true,
    limitInputPixels: true,
    resizerRuntime: true,
    fargateCpu: true,
    fargateMemoryMb: true,
    fargateMinTasks: true,
    fargateMaxTasks: true,
    fargateTargetCpuPercent: true,
    fargateTargetRequestsPerTask: true,
};
/** Every key the stack config accepts (under the project's namespace). */
export const CONFIG_KEYS = Object.keys(KNOWN_KEYS) as (keyof PipelineConfig)[];

/**
 * Parses and validates the pipeline's keys out of a flat map of stack config ("ns:key" → string value).
 * Keys of other namespaces (aws:region ...) are ignored; an unknown image-pipeline key is an error, since a
 * typo would otherwise silently fall back to a default.
 */
export function parsePipelineConfig(
    stackConfig: Record<string, string | undefined>,
    namespace: string = projectNamespace(),
): PipelineConfig {
    const CONFIG_NAMESPACE = namespace;
    const problems: string[] = [];
    const raw = new Map<string, string>();
    for (const [fullKey, value] of Object.entries(stackConfig)) {
        const [namespace, key] = splitKey(fullKey);
        if (namespace !== CONFIG_NAMESPACE || value === undefined) continue;
        if (!(key in KNOWN_KEYS)) {
            problems.push(`${fullKey}: unknown key (known keys: ${Object.keys(KNOWN_KEYS).join(", ")})`);
            continue;
        }
        raw.set(key, value);
    }
    const read = new Reader(raw, problems, namespace);
    const d = CONFIG_DEFAULTS;

    const maxResizeDimension = read.integer("maxResizeDimension", d.maxResizeDimension, 1, 16383);
    const config: PipelineConfig = {
        maxResizeDimension,
        allowedResolutions: read.list("allowedResolutions", d.allowedResolutions, (value) =>
            resolutionProblem(value, maxResizeDimension),
        ),
        corsOrigins: read.list("corsOrigins", d.corsOrigins, originProblem, { allowEmpty: false }),
        corsAllowCredentials: read.boolean("corsAllowCredentials", d.corsAllowCredentials),
        allowedContentTypes: read.list(
            "allowedContentTypes",
            d.allowedContentTypes,
            (value) => (isImageContentType(value) ? undefined : `is not one of ${IMAGE_CONTENT_TYPES.join(", ")}`),
            { allowEmpty: false },
        ) as ImageContentType[],
        maxUploadBytes: read.integer("maxUploadBytes", d.maxUploadBytes, 1, 5 * 1024 ** 3),
        uploadExpiresIn: read.integer(
            "uploadExpiresIn",
            d.uploadExpiresIn,
            1,
            MAX_UPLOAD_EXPIRES_IN,
            "(the longest a Lambda role's credentials are sure to outlive a URL they sign)",
        ),
        requireUploadSize: read.boolean("requireUploadSize", d.requireUploadSize),
        priceClass: read.oneOf("priceClass", d.priceClass, PRICE_CLASSES),
        domainNames: read.list("domainNames", d.domainNames, hostnameProblem),
        certificateArn: read.optionalString("certificateArn", (value) =>
            /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(value)
                ? undefined
                : "is not an ACM certificate ARN in us-east-1 (CloudFront only uses certificates from us-east-1)",
        ),
        kmsKeyArn: read.optionalString("kmsKeyArn", (value) => kmsKeyProblem(value, stackConfig["aws:region"])),
        forceDestroy: read.boolean("forceDestroy", d.forceDestroy),
        jwtIssuer: read.optionalString("jwtIssuer", (value) => {
            const url = tryUrl(value);
            return url?.protocol === "https:" && !url.search && !url.hash ? undefined : "is not an https issuer URL";
        }),
        jwtAudience: read.list("jwtAudience", d.jwtAudience, (value) => (value.trim() ? undefined : "is empty")),
        resizerArchitecture: read.oneOf("resizerArchitecture", d.resizerArchitecture, LAMBDA_ARCHITECTURES),
        resizerMemoryMb: read.integer("resizerMemoryMb", d.resizerMemoryMb, 128, 10240),
        allowAnyResolution: read.boolean("allowAnyResolution", d.allowAnyResolution),
        eagerResolutions: read.list("eagerResolutions", d.eagerResolutions, (value) =>
            resolutionProblem(value, maxResizeDimension),
        ),
        // The Resizer sits behind API Gateway (/resize): it may not run longer than that gives it.
        resizerTimeoutSeconds: read.integer(
            "resizerTimeoutSeconds",
            d.resizerTimeoutSeconds,
            1,
            HTTP_API_MAX_INTEGRATION_TIMEOUT_SECONDS,
        ),
        resizerOriginReadTimeoutSeconds: read.integer(
            "resizerOriginReadTimeoutSeconds",
            d.resizerOriginReadTimeoutSeconds,
            1,
            CLOUDFRONT_MAX_ORIGIN_READ_TIMEOUT_SECONDS,
        ),
        // CloudFront allows 1–3 attempts (default 3); a third is one more billed resize of the same slow image.
        resizerOriginConnectionAttempts: read.integer(
            "resizerOriginConnectionAttempts",
            d.resizerOriginConnectionAttempts,
            1,
            2,
        ),
        resizerReservedConcurrency: RESERVED_CONCURRENCY_OFF.includes(
            raw.get("resizerReservedConcurrency")?.trim() ?? "",
        )
            ? undefined
            : read.reservedConcurrency("resizerReservedConcurrency", d.resizerReservedConcurrency!),
        resizeFit: read.oneOf("resizeFit", d.resizeFit, RESIZE_FITS),
        resizeQuality: read.integer("resizeQuality", d.resizeQuality, 1, 100),
        formats: read.list("formats", d.formats, (value) =>
            isVariantFormat(value) ? undefined : `is not one of ${VARIANT_FORMATS.join(", ")}`,
        ) as VariantFormat[],
        autoFormat: read.boolean("autoFormat", d.autoFormat),
        limitInputPixels: read.integer("limitInputPixels", d.limitInputPixels, 1, 2 ** 31),
        resizerRuntime: read.oneOf("resizerRuntime", d.resizerRuntime, RESIZER_RUNTIMES),
        fargateCpu: read.oneOf("fargateCpu", d.fargateCpu, FARGATE_CPU_UNITS),
        fargateMemoryMb: read.integer("fargateMemoryMb", d.fargateMemoryMb, 512, 30720),
        fargateMinTasks: read.integer("fargateMinTasks", d.fargateMinTasks, 1, 100, "(at least one task stays warm)"),
        fargateMaxTasks: read.integer("fargateMaxTasks", d.fargateMaxTasks, 1, 100),
        fargateTargetCpuPercent: read.integer("fargateTargetCpuPercent", d.fargateTargetCpuPercent, 10, 90),
        fargateTargetRequestsPerTask: raw.has("fargateTargetRequestsPerTask")
            ? read.integer("fargateTargetRequestsPerTask", 1, 1, 1_000_000)
            : undefined,
    };
    const sizeProblem = fargateSizeProblem(config.fargateCpu, config.fargateMemoryMb);
    if (sizeProblem) problems.push(`${CONFIG_NAMESPACE}:fargateMemoryMb: ${config.fargateMemoryMb} ${sizeProblem}`);
    if (config.fargateMinTasks > config.fargateMaxTasks) {
        problems.push(
            `${CONFIG_NAMESPACE}:fargateMinTasks (${config.fargateMinTasks}) exceeds ${CONFIG_NAMESPACE}:fargateMaxTasks (${config.fargateMaxTasks})`,
        );
    }

    if (raw.has("allowedResolutions") && config.allowedResolutions.length === 0 && !config.allowAnyResolution) {
        problems.push(
            `${CONFIG_NAMESPACE}:allowedResolutions: an empty list would let anyone make any size up to ${maxResizeDimension}px; list the sizes, or set ${CONFIG_NAMESPACE}:allowAnyResolution to true to mean it`,
        );
    }
    if (config.allowAnyResolution && config.allowedResolutions.length > 0) {
        problems.push(
            `${CONFIG_NAMESPACE}:allowAnyResolution=true needs ${CONFIG_NAMESPACE}:allowedResolutions set to "" (empty); it is ${quote(config.allowedResolutions.join(","))}`,
        );
    }
    if (config.allowedResolutions.length > MAX_ALLOWED_RESOLUTIONS) {
        problems.push(
            `${CONFIG_NAMESPACE}:allowedResolutions: ${config.allowedResolutions.length} sizes, but CloudFront allows 75 cache behaviours per distribution (one per size, plus two): at most ${MAX_ALLOWED_RESOLUTIONS}, or allowAnyResolution`,
        );
    }
    // An eager variant is one the Resizer would make on request: a size it refuses is never made ahead either.
    // With allowAnyResolution every valid size up to maxResizeDimension is allowed, so any may be eager.
    const notAllowed = config.allowAnyResolution
        ? []
        : config.eagerResolutions.filter((size) => !config.allowedResolutions.includes(size));
    if (notAllowed.length > 0) {
        problems.push(
            `${CONFIG_NAMESPACE}:eagerResolutions: ${notAllowed.map((size) => quote(size)).join(", ")} not in ${CONFIG_NAMESPACE}:allowedResolutions (${config.allowedResolutions.join(",") || "empty"}); eager sizes must be allowed sizes`,
        );
    }
    if (config.eagerResolutions.length > MAX_EAGER_RESOLUTIONS) {
        problems.push(
            `${CONFIG_NAMESPACE}:eagerResolutions: ${config.eagerResolutions.length} sizes; at most ${MAX_EAGER_RESOLUTIONS} (each is rendered inside one ingest invocation, before the upload is ready)`,
        );
    }
    if (config.resizerTimeoutSeconds > config.resizerOriginReadTimeoutSeconds) {
        problems.push(
            `${CONFIG_NAMESPACE}:resizerTimeoutSeconds (${config.resizerTimeoutSeconds}) exceeds ${CONFIG_NAMESPACE}:resizerOriginReadTimeoutSeconds (${config.resizerOriginReadTimeoutSeconds}): the Lambda would run, billed, after CloudFront gave up on it`,
        );
    }
    if (config.corsAllowCredentials && config.corsOrigins.includes("*")) {
        problems.push(
            `${CONFIG_NAMESPACE}:corsOrigins: "*" cannot be used with corsAllowCredentials=true (browsers refuse it); list the origins`,
        );
    }
    if (config.corsOrigins.includes("*") && config.corsOrigins.length > 1) {
        problems.push(`${CONFIG_NAMESPACE}:corsOrigins: "*" already allows every origin; remove the other entries`);
    }
    if (config.domainNames.length > 0 !== (config.certificateArn !== undefined)) {
        problems.push(`${CONFIG_NAMESPACE}:domainNames and ${CONFIG_NAMESPACE}:certificateArn must be set together`);
    }
    if ((config.jwtIssuer !== undefined) !== config.jwtAudience.length > 0) {
        problems.push(`${CONFIG_NAMESPACE}:jwtIssuer and ${CONFIG_NAMESPACE}:jwtAudience must be set together`);
    }
    if (problems.length > 0) throw new ConfigError(problems, namespace);
    return config;
}

function splitKey(fullKey: string): [string, string] {
    const colon = fullKey.indexOf(":");
    return colon < 0 ? ["", fullKey] : [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
}

/**
 * A KMS key for the bucket: "create", or a key ARN in the bucket's region. IAM policies name keys by key ARN only
 * (https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html: an alias ARN in Resource does not
 * match the key), and S3 only uses keys from the bucket's Region
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
 */
function kmsKeyProblem(value: string, bucketRegion: string | undefined): string | undefined {
    if (value === KMS_CREATE) return undefined;
    const match = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key|alias)\/[\w/-]+$/.exec(value);
    if (!match) return `is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>) nor ${quote(KMS_CREATE)}`;
    if (match[2] === "alias") {
        return "is an alias ARN; IAM policies cannot name a key by alias: pass the key ARN (arn:aws:kms:<region>:<account>:key/<key-id>, `aws kms describe-key --key-id alias/...` shows it)";
    }
    if (bucketRegion && match[1] !== bucketRegion) {
        return `is in ${match[1]}, but the bucket is in ${bucketRegion} (aws:region) and S3 only uses KMS keys of its own region`;
    }
    return undefined;
}

function resolutionProblem(value: string, maxDimension: number): string | undefined {
    const match = SIZE_PATTERN.exec(value);
    if (!match) return "is not a size like 300x300 (positive width x height, no leading zeros)";
    const [width, height] = [Number(match[1]), Number(match[2])];
    if (width > maxDimension || height > maxDimension) return `exceeds maxResizeDimension (${maxDimension})`;
    return undefined;
}

function originProblem(value: string): string | undefined {
    if (value === "*") return undefined;
    const url = tryUrl(value);
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) return "is not an http(s) origin";
    if (url.origin !== value)
        return `is not an origin (scheme://host[:port], no path or trailing slash; did you mean ${quote(url.origin)}?)`;
    return undefined;
}

function hostnameProblem(value: string): string | undefined {
    return /^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(value)
        ? undefined
        : "is not a lower-case DNS name";
}

function tryUrl(value: string): URL | undefined {
    try {
        return new URL(value);
    } catch {
        return undefined;
    }
}

/** Reads one key at a time, recording a problem (and returning the default) instead of throwing. */
class Reader {
    constructor(
        private readonly raw: Map<string, string>,
        private readonly problems: string[],
        private readonly namespace: string,
    ) {}

    private fail(key: string, value: string, why: string): void {
        this.problems.push(`${this.namespace}:${key}: ${quote(value)} ${why}`);
    }

    integer(key: string, fallback: number, min: number, max: number, why = ""): number {
        const value = this.raw.get(key);
        if (value === undefined) return fallback;
        const number = /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
        if (!Number.isSafeInteger(number) || number < min || number > max) {
            this.fail(key, value, `is not a whole number from ${min} to ${max}${why ? ` ${why}` : ""}`);
            return fallback;
        }
        return number;
    }

    /** Reserved concurrency 0 throttles every invocation (the function is switched off), so it is refused:
     *  https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html */
    reservedConcurrency(key: string, fallback: number): number {
        if (this.raw.get(key)?.trim() === "0") {
            this.fail(
                key,
                "0",
                `would stop the Resizer from ever running (reserved concurrency 0 throttles every call); use a positive number, or ${RESERVED_CONCURRENCY_OFF.map((v) => `"${v}"`).join(" / ")} for no reservation`,
            );
            return fallback;
        }
        return this.integer(key, fallback, 1, 10000);
    }

    boolean(key: string, fallback: boolean): boolean {
        const value = this.raw.get(key);
        if (value === undefined) return fallback;
        if (value === "true" || value === "false") return value === "true";
        this.fail(key, value, "is not true or false");
        return fallback;
    }

    oneOf<T extends string>(key: string, fallback: T, choices: readonly T[]): T {
        const value = this.raw.get(key);
        if (value === undefined) return fallback;
        if ((choices as readonly string[]).includes(value)) return value as T;
        this.fail(key, value, `is not one of ${choices.join(", ")}`);
        return fallback;
    }

    optionalString(key: string, check: (value: string) => string | undefined): string | undefined {
        const value = this.raw.get(key)?.trim();
        if (value === undefined || value === "") return undefined;
        const problem = check(value);
        if (problem) {
            this.fail(key, value, problem);
            return undefined;
        }
        return value;
    }

    /** A list given as JSON (`--path` / YAML list) or as a comma-separated string. */
    list(
        key: string,
        fallback: string[],
        check: (item: string) => string | undefined,
        options: { allowEmpty?: boolean } = {},
    ): string[] {
        const value = this.raw.get(key);
        if (value === undefined) return fallback;
        const items = parseList(value);
        if (!items) {
            this.fail(key, value, "is neither a comma-separated list nor a JSON list of strings");
            return fallback;
        }
        if (items.length === 0 && options.allowEmpty === false) {
            this.fail(key, value, "must not be empty");
            return fallback;
        }
        const seen = new Set<string>();
        let valid = true;
        for (const item of items) {
            const problem = seen.has(item) ? "is listed twice" : check(item);
            seen.add(item);
            if (problem) {
                this.fail(key, item, problem);
                valid = false;
            }
        }
        return valid ? items : fallback;
    }
}

function parseList(value: string): string[] | undefined {
    const text = value.trim();
    if (text.startsWith("[")) {
        try {
            const parsed: unknown = JSON.parse(text);
            if (Array.isArray(parsed) && parsed.every((item) => typeof item === "string")) {
                return parsed.map((item) => item.trim());
            }
        } catch {
            // fall through: not JSON
        }
        return undefined;
    }
    return text === "" ? [] : text.split(",").map((item) => item.trim());
}
