// The settings contract of each function (functions/<function>/settings.ts): what the stack config decides
// reaches exactly the functions that use it, the same way under the stack (Pulumi mocks) and in local mode, and
// every setting survives its trip through the Lambda environment.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { CONFIG_KEYS } from "../../config/configKeys";
import { parsePipelineConfig } from "../../config/stackConfig";
import { decodePresignSettings, encodePresignSettings, PresignSettings } from "../../functions/presign/settings";
import { decodeResizeSettings, encodeResizeSettings, ResizeSettings } from "../../functions/resize/settings";
import { decodeIngestSettings, encodeIngestSettings, IngestSettings } from "../../functions/ingest/settings";
import { CleanupSettings, decodeCleanupSettings, encodeCleanupSettings } from "../../functions/cleanup/settings";
import { decodeIngestFailureSettings, encodeIngestFailureSettings } from "../../functions/ingestFailure/settings";
import { localFunctionSettings } from "../../local/server";
import { devStackConfig, PROJECT_DIR, ProgramRun, runProgram } from "../support/program";

type FunctionName = "presign" | "resize" | "ingest" | "cleanup";
const NS = "image-pipeline";
const FUNCTION_RESOURCES: Record<FunctionName, string> = {
    presign: "uploads-handler",
    resize: "resizer-handler",
    ingest: "ingest-handler",
    cleanup: "cleanup-handler",
};

interface Row {
    /** The keys this row proves; together the rows cover every config key exactly once. */
    covers: string[];
    /** A valid value differing from the dev stack's (plus any key it must be set together with). */
    set: Record<string, string>;
    /** The functions whose settings change: under the stack, and in local mode. */
    stack: FunctionName[];
    local: FunctionName[];
}

const ROWS: Row[] = [
    {
        covers: ["allowedResolutions"],
        set: { allowedResolutions: "200x200" },
        stack: ["resize", "ingest", "cleanup"],
        local: ["resize", "ingest", "cleanup"],
    },
    {
        covers: ["allowAnyResolution"],
        set: { allowAnyResolution: "true", allowedResolutions: "" },
        stack: ["resize", "ingest", "cleanup"],
        local: ["resize", "ingest", "cleanup"],
    },
    { covers: ["eagerResolutions"], set: { eagerResolutions: "300x300" }, stack: ["ingest"], local: ["ingest"] },
    { covers: ["maxResizeDimension"], set: { maxResizeDimension: "4000" }, stack: ["resize"], local: ["resize"] },
    // Ingest renders the eager variants as the Resizer would.
    { covers: ["resizeFit"], set: { resizeFit: "inside" }, stack: ["resize", "ingest"], local: ["resize", "ingest"] },
    {
        covers: ["resizeGravity"],
        set: { resizeGravity: "attention" },
        stack: ["resize", "ingest"],
        local: ["resize", "ingest"],
    },
    {
        covers: ["resizeQuality"],
        set: { resizeQuality: "55" },
        stack: ["resize", "ingest"],
        local: ["resize", "ingest"],
    },
    // Ingest makes eager variants in the formats the CDN sends (autoFormat).
    { covers: ["formats"], set: { formats: "webp" }, stack: ["resize", "ingest"], local: ["resize", "ingest"] },
    // The format choice by Accept happens at the CDN (its function); ingest then makes no eager format variants.
    { covers: ["autoFormat"], set: { autoFormat: "false" }, stack: ["ingest"], local: ["ingest"] },
    {
        covers: ["limitInputPixels"],
        set: { limitInputPixels: "1000000" },
        stack: ["resize", "ingest"],
        local: ["resize", "ingest"],
    },
    {
        covers: ["allowedContentTypes"],
        set: { allowedContentTypes: "image/png" },
        stack: ["presign", "ingest"],
        local: ["presign", "ingest"],
    },
    {
        covers: ["maxUploadBytes"],
        set: { maxUploadBytes: "1000" },
        stack: ["presign", "ingest"],
        local: ["presign", "ingest"],
    },
    { covers: ["uploadExpiresIn"], set: { uploadExpiresIn: "60" }, stack: ["presign"], local: ["presign"] },
    { covers: ["requireUploadSize"], set: { requireUploadSize: "true" }, stack: ["presign"], local: ["presign"] },
    // Both put keys under the caller's subject: the stack behind its authorizer, local mode behind its stand-in
    // (local/jwtAuthorizer.ts).
    {
        covers: ["jwtIssuer", "jwtAudience"],
        set: { jwtIssuer: "https://issuer.example.com", jwtAudience: "app" },
        stack: ["presign"],
        local: ["presign"],
    },
    // A custom domain changes the CDN URL that presign answers with; local mode serves its own /cdn.
    {
        covers: ["domainNames", "certificateArn"],
        set: {
            domainNames: "img.example.com",
            certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc-123",
        },
        stack: ["presign"],
        local: [],
    },
    { covers: ["corsOrigins"], set: { corsOrigins: "https://app.example.com" }, stack: [], local: [] },
    { covers: ["corsAllowCredentials"], set: { corsAllowCredentials: "true" }, stack: [], local: [] },
    { covers: ["priceClass"], set: { priceClass: "PriceClass_100" }, stack: [], local: [] },
    { covers: ["kmsKeyArn"], set: { kmsKeyArn: "create" }, stack: [], local: [] },
    { covers: ["forceDestroy"], set: { forceDestroy: "false" }, stack: [], local: [] },
    { covers: ["resizerArchitecture"], set: { resizerArchitecture: "x86_64" }, stack: [], local: [] },
    // More memory is more vCPUs on Lambda: the Resizer's threads follow (config/vcpus.ts lambdaVcpus).
    { covers: ["resizerMemoryMb"], set: { resizerMemoryMb: "2048" }, stack: ["resize"], local: ["resize"] },
    { covers: ["resizerTimeoutSeconds"], set: { resizerTimeoutSeconds: "20" }, stack: [], local: [] },
    {
        covers: ["resizerOriginReadTimeoutSeconds"],
        set: { resizerOriginReadTimeoutSeconds: "45" },
        stack: [],
        local: [],
    },
    {
        covers: ["resizerOriginConnectionAttempts"],
        set: { resizerOriginConnectionAttempts: "1" },
        stack: [],
        local: [],
    },
    { covers: ["resizerReservedConcurrency"], set: { resizerReservedConcurrency: "5" }, stack: [], local: [] },
    // The same settings reach the Resizer on either runtime (the container's environment, same encoder).
    { covers: ["resizerRuntime"], set: { resizerRuntime: "fargate" }, stack: [], local: [] },
    {
        covers: ["fargateCpu", "fargateMemoryMb"],
        set: { fargateCpu: "2048", fargateMemoryMb: "4096" },
        stack: [],
        local: [],
    },
    {
        covers: ["fargateMinTasks", "fargateMaxTasks"],
        set: { fargateMinTasks: "2", fargateMaxTasks: "8" },
        stack: [],
        local: [],
    },
    { covers: ["fargateTargetCpuPercent"], set: { fargateTargetCpuPercent: "50" }, stack: [], local: [] },
    { covers: ["fargateTargetRequestsPerTask"], set: { fargateTargetRequestsPerTask: "300" }, stack: [], local: [] },
    // presign signs image URLs (its key pair's ID, the stack's or local mode's); the Resizer's redirect to a stored
    // variant keeps the viewer's signed query string (functions/resize/resize.ts).
    {
        covers: ["privateDelivery"],
        set: { privateDelivery: "true" },
        stack: ["presign", "resize"],
        local: ["presign", "resize"],
    },
    // Read only with privateDelivery (its row's function, presign): alone, it changes nothing.
    { covers: ["signedUrlExpiresIn"], set: { signedUrlExpiresIn: "120" }, stack: [], local: [] },
    // The level is each function's loggingConfig (and the container's POWERTOOLS_LOG_LEVEL), not a setting:
    // tests/stack/observability.spec.ts checks it there.
    { covers: ["logLevel"], set: { logLevel: "DEBUG" }, stack: [], local: [] },
    // The CDN's metrics and the alarms are the stack's (infra/observability/), never a function's.
    { covers: ["cdnAdditionalMetrics"], set: { cdnAdditionalMetrics: "false" }, stack: [], local: [] },
    {
        covers: [
            "alarmEmail",
            "alarmFunctionErrors",
            "alarmResizerThrottles",
            "alarmResizerDurationPercent",
            "alarmServer5xx",
            "alarmCdn5xxRatePercent",
            "alarmFailureQueueMessages",
        ],
        set: {
            alarmEmail: "ops@example.com",
            alarmFunctionErrors: "3",
            alarmResizerThrottles: "20",
            alarmResizerDurationPercent: "90",
            alarmServer5xx: "9",
            alarmCdn5xxRatePercent: "7",
            alarmFailureQueueMessages: "2",
        },
        stack: [],
        local: [],
    },
];

const DECODERS: Record<FunctionName, (env: Record<string, string | undefined>) => unknown> = {
    presign: decodePresignSettings,
    resize: decodeResizeSettings,
    ingest: decodeIngestSettings,
    cleanup: decodeCleanupSettings,
};

function namespaced(set: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(set).map(([key, value]) => [`${NS}:${key}`, value]));
}

/** Each function's settings as its Lambda decodes them from the environment the stack gave it. */
function stackSettings(run: ProgramRun): Record<FunctionName, unknown> {
    const lambdas = run.ofType("aws:lambda/function:Function");
    // resizerRuntime fargate: the Resizer's settings are its container's environment (the same encoder).
    const container = () => {
        const service = run.ofType("awsx:ecs:FargateService")[0];
        return (
            service &&
            Object.fromEntries(
                service.inputs.taskDefinitionArgs.container.environment.map((e: { name: string; value: string }) => [
                    e.name,
                    e.value,
                ]),
            )
        );
    };
    // A function the stack does not deploy has no settings there (undefined never changes).
    const decoded = (name: FunctionName) => {
        const lambda = lambdas.find((candidate) => candidate.name === FUNCTION_RESOURCES[name]);
        const env = lambda ? lambda.inputs.environment.variables : name === "resize" ? container() : undefined;
        return env && DECODERS[name](env);
    };
    return {
        presign: decoded("presign"),
        resize: decoded("resize"),
        ingest: decoded("ingest"),
        cleanup: decoded("cleanup"),
    };
}

/** Each function's settings in local mode, through the same encoders (what a local Lambda would decode). */
function localSettings(overrides: Record<string, string>): Record<FunctionName, unknown> {
    const settings = localFunctionSettings(
        parsePipelineConfig(devStackConfig(overrides), NS),
        "http://localhost:1/cdn",
        "KLOCALKEYPAIRID",
    );
    return {
        presign: decodePresignSettings(encodePresignSettings(settings.presign)),
        resize: decodeResizeSettings(encodeResizeSettings(settings.resize)),
        ingest: decodeIngestSettings(encodeIngestSettings(settings.ingest)),
        cleanup: decodeCleanupSettings(encodeCleanupSettings(settings.cleanup)),
    };
}

function changed(before: Record<FunctionName, unknown>, after: Record<FunctionName, unknown>): FunctionName[] {
    return (Object.keys(before) as FunctionName[]).filter(
        (name) => JSON.stringify(before[name]) !== JSON.stringify(after[name]),
    );
}

describe("settings contract (functions/*/settings.ts)", () => {
    describe("an environment round trip keeps every setting", () => {
        it("presign: decode(encode(settings)) equals the settings, for every field, with and without a grant key", () => {
            const settings: PresignSettings = {
                bucket: "b",
                allowedContentTypes: ["image/png", "image/avif"],
                maxUploadBytes: 1234,
                expiresIn: 77,
                cdnUrl: "https://cdn.example",
                requireAuth: true,
                requireUploadSize: true,
                grantKeyId: "arn:aws:kms:us-east-1:123456789012:key/abc",
            };
            expect(decodePresignSettings(encodePresignSettings(settings))).to.deep.equal(settings);
            const { grantKeyId: _, ...withoutGrantKey } = settings;
            const flipped = { ...withoutGrantKey, requireAuth: false, requireUploadSize: false };
            expect(decodePresignSettings(encodePresignSettings(flipped))).to.deep.equal(flipped);
        });

        it("presign: the URL signing settings (privateDelivery) survive the trip, with and without a secret, and are absent when not set", () => {
            const base: PresignSettings = {
                bucket: "b",
                allowedContentTypes: ["image/png"],
                maxUploadBytes: 1,
                expiresIn: 60,
                cdnUrl: "https://cdn.example",
                requireAuth: false,
                requireUploadSize: false,
            };
            const urlSigning = {
                keyPairId: "K2JCJMDEHXQW5F",
                secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:url-signing-secret-AbCdEf",
                expiresIn: 3600,
                allowedResolutions: ["300x300", "640x480"],
                maxDimension: 2000,
            };
            const signing = { ...base, urlSigning };
            expect(decodePresignSettings(encodePresignSettings(signing))).to.deep.equal(signing);
            const { secretArn: _, ...local } = urlSigning;
            const localSigning = { ...base, urlSigning: { ...local, allowedResolutions: [] } };
            expect(decodePresignSettings(encodePresignSettings(localSigning))).to.deep.equal(localSigning);
            expect(Object.keys(encodePresignSettings(base)).filter((name) => /SIGN/.test(name))).to.deep.equal([]);
        });

        it("resize: decode(encode(settings)) equals the settings, with and without a CDN URL", () => {
            const settings: ResizeSettings = {
                bucket: "b",
                metricsNamespace: "image-pipeline/test",
                uploadPrefix: "uploads/",
                allowedResolutions: ["10x20", "30x40"],
                maxDimension: 999,
                fit: "contain",
                gravity: "attention",
                quality: 42,
                limitInputPixels: 1_000_000,
                formats: ["webp"],
                threads: 2,
                cdnUrl: "https://cdn.example",
                privateDelivery: true,
            };
            expect(decodeResizeSettings(encodeResizeSettings(settings))).to.deep.equal(settings);
            const noFormats = { ...settings, formats: [] };
            expect(decodeResizeSettings(encodeResizeSettings(noFormats))).to.deep.equal(noFormats);
            const { cdnUrl: _, privateDelivery: __, ...withoutCdn } = settings;
            expect(decodeResizeSettings(encodeResizeSettings({ ...withoutCdn, allowedResolutions: [] }))).to.deep.equal(
                { ...withoutCdn, allowedResolutions: [] },
            );
        });

        it("ingest: decode(encode(settings)) equals the settings, with and without variant sizes, eager sizes, topic", () => {
            const settings: IngestSettings = {
                bucket: "b",
                metricsNamespace: "image-pipeline/test",
                allowedContentTypes: ["image/jpeg", "image/gif"],
                maxUploadBytes: 4321,
                limitInputPixels: 1_000_000,
                allowedResolutions: ["10x20", "30x40"],
                eager: { resolutions: ["30x40"], fit: "contain", gravity: "entropy", quality: 42, formats: ["webp"] },
                uploadEventsTopicArn: "arn:aws:sns:us-east-1:123456789012:events",
            };
            expect(decodeIngestSettings(encodeIngestSettings(settings))).to.deep.equal(settings);
            const { eager: _, uploadEventsTopicArn: __, ...plain } = settings;
            const anySize = { ...plain, allowedResolutions: [], eager: { ...settings.eager!, resolutions: [] } };
            expect(decodeIngestSettings(encodeIngestSettings(anySize))).to.deep.equal(anySize);
            expect(decodeIngestSettings(encodeIngestSettings(plain))).to.deep.equal(plain);
        });

        it("cleanup: decode(encode(settings)) equals the settings, with and without variant sizes", () => {
            const settings: CleanupSettings = {
                bucket: "b",
                metricsNamespace: "image-pipeline/test",
                distributionId: "E2QWRUHEXAMPLE",
                allowedResolutions: ["10x20", "30x40"],
            };
            expect(decodeCleanupSettings(encodeCleanupSettings(settings))).to.deep.equal(settings);
            const anySize = { ...settings, allowedResolutions: [] };
            expect(decodeCleanupSettings(encodeCleanupSettings(anySize))).to.deep.equal(anySize);
        });

        it("ingest failure consumer: decode(encode(settings)) equals the settings, with and without a topic", () => {
            const settings = {
                bucket: "b",
                uploadEventsTopicArn: "arn:aws:sns:us-east-1:123456789012:events",
                metricsNamespace: "ns/x",
            };
            expect(decodeIngestFailureSettings(encodeIngestFailureSettings(settings))).to.deep.equal(settings);
            const plain = { bucket: "b", metricsNamespace: "ns/x" };
            expect(decodeIngestFailureSettings(encodeIngestFailureSettings(plain))).to.deep.equal(plain);
            expect(() => decodeIngestFailureSettings({})).to.throw("BUCKET_NAME");
        });

        it("a setting missing from the environment fails the cold start, naming it", () => {
            const env = encodeResizeSettings({
                bucket: "b",
                metricsNamespace: "ns/x",
                uploadPrefix: "uploads/",
                allowedResolutions: [],
                maxDimension: 9,
                fit: "cover",
                gravity: "centre",
                quality: 1,
                limitInputPixels: 1,
            });
            const [name] = Object.entries(env).find(([, value]) => value === "9")!;
            expect(() => decodeResizeSettings({ ...env, [name]: undefined })).to.throw(name);
        });
    });

    it("only the settings modules name an environment variable: index.ts, config/, infra/ and local/ never do", () => {
        const names = [
            ...Object.keys(
                encodePresignSettings({
                    bucket: "b",
                    allowedContentTypes: ["image/png"],
                    maxUploadBytes: 1,
                    expiresIn: 1,
                    cdnUrl: "c",
                    requireAuth: false,
                }),
            ),
            ...Object.keys(
                encodeResizeSettings({
                    bucket: "b",
                    metricsNamespace: "ns/x",
                    uploadPrefix: "u/",
                    allowedResolutions: [],
                    maxDimension: 1,
                    fit: "cover",
                    gravity: "centre",
                    quality: 1,
                    limitInputPixels: 1,
                    cdnUrl: "c",
                }),
            ),
            ...Object.keys(
                encodeIngestSettings({
                    bucket: "b",
                    metricsNamespace: "ns/x",
                    allowedContentTypes: ["image/png"],
                    maxUploadBytes: 1,
                    limitInputPixels: 1,
                    allowedResolutions: [],
                    eager: { resolutions: [], fit: "cover", gravity: "centre", quality: 1, formats: [] },
                    uploadEventsTopicArn: "t",
                }),
            ),
            ...Object.keys(
                encodeCleanupSettings({
                    bucket: "b",
                    distributionId: "d",
                    allowedResolutions: [],
                    metricsNamespace: "n",
                }),
            ),
            ...Object.keys(
                encodeIngestFailureSettings({ bucket: "b", uploadEventsTopicArn: "t", metricsNamespace: "n" }),
            ),
        ];
        const sources = (dir: string): string[] =>
            fs
                .readdirSync(dir, { withFileTypes: true })
                .flatMap((entry) =>
                    entry.isDirectory()
                        ? sources(path.join(dir, entry.name))
                        : entry.name.endsWith(".ts")
                          ? [path.join(dir, entry.name)]
                          : [],
                );
        const files = [
            path.join(PROJECT_DIR, "index.ts"),
            ...["config", "infra", "local"].flatMap((dir) => sources(path.join(PROJECT_DIR, dir))),
        ];
        const naming = files.flatMap((file) => {
            const text = fs.readFileSync(file, "utf8");
            return names
                .filter((name) => new RegExp(`\\b${name}\\b`).test(text))
                .map((name) => `${path.relative(PROJECT_DIR, file)}: ${name}`);
        });
        expect(names).to.include.members(["BUCKET_NAME", "RESIZE_QUALITY"]);
        expect(naming).to.deep.equal([]);
    });

    describe("every config key reaches exactly the functions that use it, under the stack and in local mode", function () {
        this.timeout(180_000);

        it("the table covers every config key exactly once", () => {
            const covered = ROWS.flatMap((row) => row.covers);
            expect(covered).to.have.members(CONFIG_KEYS);
            expect(new Set(covered).size).to.equal(covered.length);
        });

        let stackBefore: Record<FunctionName, unknown>;
        let localBefore: Record<FunctionName, unknown>;
        before(async () => {
            stackBefore = stackSettings(await runProgram());
            localBefore = localSettings({});
        });

        for (const row of ROWS) {
            it(`${row.covers.join(" + ")} → stack: {${row.stack.join(", ")}}, local: {${row.local.join(", ")}}`, async () => {
                const overrides = namespaced(row.set);
                expect(
                    changed(stackBefore, stackSettings(await runProgram(overrides))),
                    "under the stack",
                ).to.have.members(row.stack);
                expect(changed(localBefore, localSettings(overrides)), "in local mode").to.have.members(row.local);
            });
        }
    });
});
