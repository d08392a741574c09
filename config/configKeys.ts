// Every config key, in one declarative table: its doc line, its parser (with the checks on its own value) and its
// default. PipelineConfig, CONFIG_DEFAULTS and CONFIG_KEYS are derived from it, so a new key is one entry here
// (then its function's settings field, functions/<function>/settings.ts, and its mapping,
// config/functionSettings.ts). Rules between keys are config/keyRules.ts's; the limits, config/limits.ts's.
import { IMAGE_CONTENT_TYPES, ImageContentType } from "../functions/shared/imageTypes";
import { RESIZE_FITS, RESIZE_GRAVITIES } from "../functions/shared/resizeFit";
import { LOG_LEVELS } from "../functions/shared/structuredLog";
import { VARIANT_FORMATS, VariantFormat } from "../functions/shared/variantFormats";
import type { ConfigReader } from "./configReader";
import { FARGATE_CPU_UNITS, RESIZER_RUNTIMES } from "./fargateSizes";
import {
    CLOUDFRONT_MAX_ORIGIN_READ_TIMEOUT_SECONDS,
    HTTP_API_MAX_INTEGRATION_TIMEOUT_SECONDS,
    MAX_SIGNED_URL_EXPIRES_IN,
    MAX_UPLOAD_EXPIRES_IN,
    MIN_SIGNED_URL_EXPIRES_IN,
} from "./limits";
import * as check from "./valueChecks";

export const PRICE_CLASSES = ["PriceClass_All", "PriceClass_200", "PriceClass_100"] as const;
export const LAMBDA_ARCHITECTURES = ["arm64", "x86_64"] as const;
/** resizerReservedConcurrency values that mean "no reservation". */
const RESERVED_CONCURRENCY_OFF = ["none", "off"];

/** What a parser may know besides its own key's text. */
interface ParseContext {
    /** aws:region: a KMS key must be in the bucket's region. */
    region: string | undefined;
    /** maxResizeDimension's value: no size may exceed it. */
    maxResizeDimension(): number;
}

/** Reads a key's value (the fallback when unset), recording any problem with the reader. */
type Parse<T> = (read: ConfigReader, key: string, fallback: T, context: ParseContext) => T;
interface ConfigKey<T> {
    parse: Parse<T>;
    default: T;
}

const key = <T>(parse: Parse<T>, fallback: NoInfer<T>): ConfigKey<T> => ({ parse, default: fallback });
const integer =
    (min: number, max: number, why = ""): Parse<number> =>
    (read, name, fallback) =>
        read.integer(name, fallback, min, max, why);
const boolean: Parse<boolean> = (read, name, fallback) => read.boolean(name, fallback);
const oneOf =
    <T extends string>(choices: readonly T[]): Parse<T> =>
    (read, name, fallback) =>
        read.oneOf(name, fallback, choices);
const optional =
    (problem: (value: string, context: ParseContext) => string | undefined): Parse<string | undefined> =>
    (read, name, _fallback, context) =>
        read.optionalString(name, (value) => problem(value, context));
const list =
    <T extends string = string>(
        problem: (item: string, context: ParseContext) => string | undefined,
        options: { allowEmpty?: boolean } = {},
    ): Parse<T[]> =>
    (read, name, fallback, context) =>
        read.list(name, fallback, (item) => problem(item, context), options) as T[];
const resolutions = list((item, context) => check.resolutionProblem(item, context.maxResizeDimension()));

/** Reserved concurrency 0 throttles every invocation (the function is switched off), so it is refused:
 *  https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html */
const reservedConcurrency: Parse<number | undefined> = (read, name, fallback) => {
    const text = read.text(name)?.trim() ?? "";
    if (RESERVED_CONCURRENCY_OFF.includes(text)) return undefined;
    if (text === "0") {
        read.fail(
            name,
            "0",
            `would stop the Resizer from ever running (reserved concurrency 0 throttles every call); use a positive number, or ${RESERVED_CONCURRENCY_OFF.map((v) => `"${v}"`).join(" / ")} for no reservation`,
        );
        return fallback;
    }
    return read.integer(name, fallback ?? 1, 1, 10000);
};

export const CONFIG_KEY_TABLE = {
    /** Variant sizes the Resizer makes, as "WxH"; empty (only with allowAnyResolution) allows any size up to
     *  maxResizeDimension. */
    allowedResolutions: key(resolutions, ["300x300", "640x480", "1280x720"]),
    /** The explicit opt-in to any size up to maxResizeDimension (allowedResolutions must then be empty). */
    allowAnyResolution: key(boolean, false),
    /** Variant sizes made at ingest, before the upload is announced ready (a subset of allowedResolutions). */
    eagerResolutions: key(resolutions, []),
    /** Largest width or height of a variant. */
    maxResizeDimension: key(integer(1, 16383), 2048),
    /** Origins allowed to upload and to read with CORS: exact origins (scheme://host[:port]) or "*" alone. */
    corsOrigins: key(list(check.originProblem, { allowEmpty: false }), ["http://localhost:3000"]),
    /** Send Access-Control-Allow-Credentials on CDN reads and API calls (not with "*"). */
    corsAllowCredentials: key(boolean, false),
    /** What may be uploaded (a subset of imageTypes' five). */
    allowedContentTypes: key(
        list<ImageContentType>((item) => check.choiceProblem(item, IMAGE_CONTENT_TYPES), { allowEmpty: false }),
        IMAGE_CONTENT_TYPES,
    ),
    /** Largest upload, in bytes (at most 5 GiB, S3's largest single PUT). */
    maxUploadBytes: key(integer(1, 5 * 1024 ** 3), 10 * 1024 * 1024),
    /** Lifetime of presigned URLs and POST policies, in seconds (at most MAX_UPLOAD_EXPIRES_IN). */
    uploadExpiresIn: key(
        integer(
            1,
            MAX_UPLOAD_EXPIRES_IN,
            "(the longest a Lambda role's credentials are sure to outlive a URL they sign)",
        ),
        300,
    ),
    /** Refuse to sign a PUT whose client does not declare its byte size (so every PUT URL caps the size). */
    requireUploadSize: key(boolean, false),
    /** CloudFront's price class (which edge locations serve). */
    priceClass: key(oneOf(PRICE_CLASSES), "PriceClass_200"),
    /** Custom host names of the CDN (set together with certificateArn). */
    domainNames: key(list(check.hostnameProblem), []),
    /** The ACM certificate of domainNames, in us-east-1. */
    certificateArn: key(optional(check.certificateArnProblem), undefined),
    /** A KMS key ARN in the stack's region, or KMS_CREATE: the stack makes the key and its policy. */
    kmsKeyArn: key(
        optional((value, context) => check.kmsKeyProblem(value, context.region)),
        undefined,
    ),
    /** Let `pulumi destroy` delete a bucket that still holds images. */
    forceDestroy: key(boolean, false),
    /** Require a JWT from this issuer on the upload routes (set together with jwtAudience). */
    jwtIssuer: key(optional(check.issuerProblem), undefined),
    /** The audiences such a JWT may carry. */
    jwtAudience: key(list(check.emptyProblem), []),
    /** The Resizer Lambda's architecture, and the sharp binary packaged for it. */
    resizerArchitecture: key(oneOf(LAMBDA_ARCHITECTURES), "arm64"),
    /** The Resizer Lambda's memory (its vCPUs follow it: config/vcpus.ts). */
    resizerMemoryMb: key(integer(128, 10240), 1536),
    /** The Resizer sits behind API Gateway (/resize): it may not run longer than that gives it. */
    resizerTimeoutSeconds: key(integer(1, HTTP_API_MAX_INTEGRATION_TIMEOUT_SECONDS), 30),
    /** How long CloudFront waits for the Resizer's answer; the Lambda timeout may not exceed it. */
    resizerOriginReadTimeoutSeconds: key(integer(1, CLOUDFRONT_MAX_ORIGIN_READ_TIMEOUT_SECONDS), 30),
    /** CloudFront's connection attempts to the Resizer origin (each may be a billed invocation). CloudFront allows
     *  1–3 (default 3); a third is one more billed resize of the same slow image. */
    resizerOriginConnectionAttempts: key(integer(1, 2), 2),
    /** Undefined only when turned off explicitly ("none"/"off"). */
    resizerReservedConcurrency: key(reservedConcurrency, 10),
    /** How a variant fills its box (sharp's fit). */
    resizeFit: key(oneOf(RESIZE_FITS), "cover"),
    /** Where cover crops: the centre, or libvips' smartcrop (attention, entropy). */
    resizeGravity: key(oneOf(RESIZE_GRAVITIES), "centre"),
    /** JPEG, WebP and AVIF quality of variants. */
    resizeQuality: key(integer(1, 100), 80),
    /** Formats variants may be rendered in besides the original's own (the `<W>x<H>/<format>/...` keys); empty:
     *  every variant keeps its original's format. */
    formats: key(
        list<VariantFormat>((item) => check.choiceProblem(item, VARIANT_FORMATS)),
        ["avif", "webp"],
    ),
    /** Pick the variant's format from the browser's Accept header at the CDN (among `formats`). */
    autoFormat: key(boolean, true),
    /** Largest original the Resizer decodes, in pixels summed over all frames. */
    limitInputPixels: key(integer(1, 2 ** 31), 50_000_000),
    /** Where the Resizer runs: Lambda (default) or containers on ECS Fargate behind an internal ALB. */
    resizerRuntime: key(oneOf(RESIZER_RUNTIMES), "lambda"),
    /** fargate only: task CPU units. */
    fargateCpu: key(oneOf(FARGATE_CPU_UNITS), "1024"),
    /** fargate: task memory MiB, one of Fargate's sizes for fargateCpu (config/fargateSizes.ts). */
    fargateMemoryMb: key(integer(512, 30720), 2048),
    /** fargate: fewest tasks. */
    fargateMinTasks: key(integer(1, 100, "(at least one task stays warm)"), 1),
    /** fargate: most tasks. */
    fargateMaxTasks: key(integer(1, 100), 4),
    /** fargate: the average CPU % target tracking keeps. */
    fargateTargetCpuPercent: key(integer(10, 90), 60),
    /** fargate: also keep ALB requests per task at this level (a second target-tracking policy); off when unset. */
    fargateTargetRequestsPerTask: key<number | undefined>(
        (read, name) => (read.text(name) === undefined ? undefined : read.integer(name, 1, 1, 1_000_000)),
        undefined,
    ),
    /** Serve originals and variants only through CloudFront signed URLs (a key group the stack makes, trusted on
     *  every image behaviour); GET /uploads/<id>/url signs them (docs/private-images.md). */
    privateDelivery: key(boolean, false),
    /** privateDelivery: how long a signed image URL works, in seconds. */
    signedUrlExpiresIn: key(
        integer(
            MIN_SIGNED_URL_EXPIRES_IN,
            MAX_SIGNED_URL_EXPIRES_IN,
            "(a signed URL is a bearer credential: 1 minute to 1 day)",
        ),
        3600,
    ),
    /** Every Lambda's application log level (loggingConfig) and the Resizer container's (docs/operations.md). */
    logLevel: key(oneOf(LOG_LEVELS), "INFO"),
    /** An email address subscribed to the alarms topics (it must confirm the subscription). */
    alarmEmail: key(optional(check.emailProblem), undefined),
    /** A function's errors in 5 minutes that raise its alarm. */
    alarmFunctionErrors: key(integer(1, 1_000_000), 1),
    /** The Resizer's throttled invocations in 5 minutes that raise its alarm. */
    alarmResizerThrottles: key(integer(1, 1_000_000), 10),
    /** The Resizer's p99 duration, as a percentage of its timeout, that raises its alarm. */
    alarmResizerDurationPercent: key(integer(10, 100), 80),
    /** 5xx answers in 5 minutes of the HTTP API (and, fargate, of the Resizer's load balancer) that raise its alarm. */
    alarmServer5xx: key(integer(1, 1_000_000), 5),
    /** CloudFront's 5xx error rate (% of requests, over 5 minutes) that raises its alarm. */
    alarmCdn5xxRatePercent: key(integer(1, 100), 5),
    /** Messages waiting in a failure queue (or the dead-letter queue) that raise its alarm. */
    alarmFailureQueueMessages: key(integer(1, 1_000_000), 1),
    /** CloudFront's additional distribution metrics (cache hit rate, origin latency), billed as CloudWatch metrics:
     *  the dashboard's cache hit rate needs them. */
    cdnAdditionalMetrics: key(boolean, true),
};

type Table = typeof CONFIG_KEY_TABLE;
type Values = { [K in keyof Table]: Table[K] extends ConfigKey<infer T> ? T : never };
type OptionalKey = { [K in keyof Values]-?: undefined extends Values[K] ? K : never }[keyof Values];
/** The typed, validated configuration: one property per key of CONFIG_KEY_TABLE (keys without a default are
 *  optional). */
export type PipelineConfig = Omit<Values, OptionalKey> & Partial<Pick<Values, OptionalKey>>;

/** Every key the stack config accepts (under the project's namespace). */
export const CONFIG_KEYS = Object.keys(CONFIG_KEY_TABLE) as (keyof PipelineConfig)[];

/** Each key's value when it is not set (keys without a default are absent). */
export const CONFIG_DEFAULTS = Object.fromEntries(
    CONFIG_KEYS.map((name) => [name, CONFIG_KEY_TABLE[name].default]).filter(([, value]) => value !== undefined),
) as PipelineConfig;

/** Reads every key, each with its parser; problems are recorded with the reader. */
export function readConfigKeys(read: ConfigReader, region: string | undefined): PipelineConfig {
    const values = new Map<string, unknown>();
    const readKey = (name: keyof Table): unknown => {
        if (!values.has(name)) {
            const { parse, default: fallback } = CONFIG_KEY_TABLE[name] as ConfigKey<unknown>;
            values.set(name, parse(read, name, fallback, context));
        }
        return values.get(name);
    };
    const context: ParseContext = { region, maxResizeDimension: () => readKey("maxResizeDimension") as number };
    for (const name of CONFIG_KEYS) readKey(name);
    return Object.fromEntries(CONFIG_KEYS.map((name) => [name, values.get(name)])) as PipelineConfig;
}
