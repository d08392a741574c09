// Local mode: the whole pipeline on this machine, with the same handler modules Lambda runs. One HTTP server
// serves the page (/), the upload API (/api, the HTTP API's paths) and the CDN emulation (/cdn); the S3 gate
// and s3rver run beside it on loopback.
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import { createPresignHandler } from "../functions/presign/presign";
import { createResizeHandler } from "../functions/resize/resize";
import { createIngestHandler } from "../functions/ingest/ingest";
import { createCleanupHandler } from "../functions/cleanup/cleanup";
import { STAGING_PREFIX, UPLOADS_PREFIX } from "../functions/shared/bucketLayout";
import { createS3Client } from "../functions/shared/s3Client";
import { S3Event } from "../functions/shared/s3Event";
import type { PipelineConfig } from "../config/configKeys";
import {
    cleanupSettingsFromConfig,
    ingestSettingsFromConfig,
    presignSettingsFromConfig,
    resizeSettingsFromConfig,
} from "../config/functionSettings";
import { createCdn } from "./cdn/cdn";
import { viewerRequestFunction } from "./cdn/edgeRuntime";
import { edgeFunctionCode } from "../functions/edge/edgeFunction";
import { sendHttpResult } from "../functions/shared/httpEvent";
import { internalErrorResult } from "../functions/shared/http";
import { listenOnLoopback } from "./listen";
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalS3 } from "./s3/localS3";
import { limitConcurrency } from "./resizeLimiter";
import { uploadEventLog } from "./uploadEventLog";
import { localInvalidations, RecordedInvalidation } from "./cdn/invalidations";
import { redactGrant } from "../functions/presign/uploadGrant";
import { LOCAL_TOKEN_PATH, localAuth } from "./localAuth";
import { localApi } from "./localApi";
import { webPages } from "./webPages";
import { asyncInvoker, sqsDestination } from "./asyncInvoke";
import { INGEST_INVOCATION } from "../functions/ingest/retryPolicy";
import { CLEANUP_INVOCATION } from "../functions/cleanup/retryPolicy";
import { createIngestFailureHandler } from "../functions/ingestFailure/ingestFailure";
import { localUrlSigningKeyPair } from "./urlSigningKeyPair";
import { metricsNamespace } from "../functions/shared/pipelineMetrics";
import { createLog, uploadIdOf } from "../functions/shared/structuredLog";

export const LOCAL_BUCKET = "images-local";
/** The object a /cdn/ path names, for its request line; undefined when the path is not valid percent-encoding. */
function cdnKeyOf(rawPath: string): string | undefined {
    try {
        return decodeURIComponent(rawPath.slice("/cdn/".length));
    } catch {
        return undefined;
    }
}
/** What the cleanup function names as its distribution; the local CDN caches nothing, it records invalidations. */
export const LOCAL_DISTRIBUTION_ID = "LOCAL";
/** Where local mode's metric lines say they belong: no stack, no CloudWatch; the lines are printed. */
export const LOCAL_METRICS_NAMESPACE = metricsNamespace("image-pipeline", "local");
/**
 * One resize at a time; more requests wait in line (none refused). Measured with bench/memoryBench.ts on 2 cores
 * (20 concurrent first hits on a 17.9 MP JPEG, summed RSS of npm start's processes, malloc settings of
 * local/mallocSettings.ts): one at a time 383 MB, two 473 MB, in about the same time
 * (26–28 s) because libvips already spreads one image over every core. Unbounded, before: 1409 MB.
 */
export const LOCAL_RESIZE_CONCURRENCY = 1;

export interface LocalPipelineOptions {
    config: PipelineConfig;
    /** Port of the page, API and CDN (0: a free one); S3 gate port likewise. */
    port: number;
    s3Port: number;
    /** Where the local S3 keeps its objects. */
    dataDir: string;
    /** Where every JSON line goes (the functions' lines and metric lines, and one per request of this server, as
     *  an access log would); silent when omitted. */
    log?: (line: string) => void;
    /** privateDelivery: the clock the CDN checks signed URLs' expiry by (specs move it); Date.now by default. */
    cdnClock?: () => number;
}

export interface LocalPipeline {
    url: string;
    s3Url: string;
    /** How many times the CDN has called the resize handler. */
    resizeCalls(): number;
    /** The CDN invalidations the cleanup function made (removed or overwritten originals), oldest first. */
    invalidations(): RecordedInvalidation[];
    close(): Promise<void>;
}

/** Each function's settings in local mode, built from the stack config as the stack builds them. With jwtIssuer,
 *  local mode checks JWTs as the stack's authorizer does (local/jwtAuthorizer.ts); its Resizer knows the CDN URL up
 *  front (on AWS it comes from the API stage). With privateDelivery, URLs are signed with local mode's own key pair
 *  (local/urlSigningKeyPair.ts), whose ID is `urlSigningKeyPairId`. */
export function localFunctionSettings(config: PipelineConfig, cdnUrl: string, urlSigningKeyPairId?: string) {
    const namespace = LOCAL_METRICS_NAMESPACE;
    return {
        presign: presignSettingsFromConfig(config, {
            bucket: LOCAL_BUCKET,
            cdnUrl,
            jwtAuthorizer: config.jwtIssuer !== undefined,
            urlSigning: urlSigningKeyPairId === undefined ? undefined : { keyPairId: urlSigningKeyPairId },
        }),
        resize: resizeSettingsFromConfig(config, { bucket: LOCAL_BUCKET, cdnUrl, metricsNamespace: namespace }),
        ingest: ingestSettingsFromConfig(config, { bucket: LOCAL_BUCKET, metricsNamespace: namespace }),
        cleanup: cleanupSettingsFromConfig(config, {
            bucket: LOCAL_BUCKET,
            distributionId: LOCAL_DISTRIBUTION_ID,
            metricsNamespace: namespace,
        }),
        ingestFailure: { bucket: LOCAL_BUCKET, metricsNamespace: namespace },
    };
}

export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
    const { config } = options;
    const log = options.log ?? (() => undefined);
    const server = http.createServer();
    await listenOnLoopback(server, options.port);
    const port = (server.address() as AddressInfo).port;
    const url = `http://localhost:${port}`;
    const pageOrigins = [url, `http://127.0.0.1:${port}`];
    const corsOrigins = [...new Set([...config.corsOrigins, ...pageOrigins])];

    fs.mkdirSync(options.dataDir, { recursive: true });
    const cdnUrl = `${url}/cdn`;
    // privateDelivery: a key pair of local mode's own, in the data folder (the stack's is its UrlSigningKey).
    const urlSigning = config.privateDelivery ? localUrlSigningKeyPair(options.dataDir) : undefined;
    const localSettings = localFunctionSettings(config, cdnUrl, urlSigning?.keyPairId);
    // The functions write their lines (and metric lines) here, at the config's level, as on AWS.
    const handlerLog = log;
    const logLevel = config.logLevel;
    const serverLog = createLog("local", { sink: log, level: logLevel });
    // The bucket notification's function, like the stack's: every staged upload is checked before it is served.
    // It runs one at a time (sharp decodes whole images), through the gate like any S3 client; set once s3 exists.
    let ingest: (event: S3Event) => Promise<void> = async () => {
        throw new Error("the ingest function is not ready");
    };
    // The other subscription: originals removed or written under uploads/ → the cleanup function (variants, status,
    // CDN invalidation), as the stack's bucket notification sends them.
    let cleanup: (event: S3Event) => Promise<void> = async () => {
        throw new Error("the cleanup function is not ready");
    };
    const invalidations = localInvalidations(log);
    const s3Server = await startLocalS3({
        directory: options.dataDir,
        bucket: LOCAL_BUCKET,
        corsOrigins,
        port: options.s3Port,
        objectCreated: { prefix: STAGING_PREFIX, deliver: (event) => ingest(event), log },
        notifications: [
            {
                prefix: UPLOADS_PREFIX,
                events: ["ObjectCreated", "ObjectRemoved"],
                deliver: (event) => cleanup(event),
                log,
            },
        ],
    }).catch((error) => new Promise<never>((_, reject) => server.close(() => reject(error)))); // e.g. S3_PORT busy
    const s3 = createS3Client({ endpoint: s3Server.url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    // Ready/rejected/failed events go to <data dir>/upload-events.jsonl, where the stack publishes to its SNS topic.
    const publish = uploadEventLog(options.dataDir);
    ingest = limitConcurrency(
        // As Lambda runs it: retried on failure (without the minutes between attempts), then the same consumer
        // the stack's failure queue feeds writes `failed` (functions/ingestFailure/).
        asyncInvoker({
            policy: INGEST_INVOCATION,
            functionArn: "local:ingest",
            handler: createIngestHandler({ s3, log: handlerLog, logLevel, settings: localSettings.ingest, publish }),
            onFailure: sqsDestination(
                createIngestFailureHandler({
                    s3,
                    log: handlerLog,
                    logLevel,
                    settings: localSettings.ingestFailure,
                    publish,
                }),
            ),
        }),
        LOCAL_RESIZE_CONCURRENCY,
    );
    cleanup = asyncInvoker({
        policy: CLEANUP_INVOCATION,
        functionArn: "local:cleanup",
        handler: createCleanupHandler({
            s3,
            cloudfront: invalidations.client,
            log: handlerLog,
            logLevel,
            settings: localSettings.cleanup,
        }),
        // The stack's cleanup failures queue, where a record waits for an operator: here, the log.
        onFailure: async (record) => serverLog({ level: "error", message: "cleanup failed", record }),
    });

    // jwtIssuer: local mode plays the issuer (a key in the data folder) and the authorizer (local/localAuth.ts).
    const auth = config.jwtIssuer
        ? localAuth({ dataDir: options.dataDir, issuer: config.jwtIssuer, audiences: config.jwtAudience })
        : undefined;
    const presign = createPresignHandler({
        s3,
        log: handlerLog,
        logLevel,
        settings: localSettings.presign,
        grantKey: auth?.grantKey,
        signingKey: urlSigning && (async () => urlSigning.privateKey),
    });
    // Resizes at once (CDN misses and /api/resize alike), the rest queued: see LOCAL_RESIZE_CONCURRENCY.
    const resize = limitConcurrency(
        createResizeHandler({
            s3,
            log: handlerLog,
            logLevel,
            settings: localSettings.resize,
        }),
        LOCAL_RESIZE_CONCURRENCY,
    );
    const cdn = createCdn({
        s3,
        bucket: LOCAL_BUCKET,
        resize,
        basePath: "/cdn",
        corsOrigins,
        corsAllowCredentials: config.corsAllowCredentials,
        // The same CloudFront Function the stack deploys on its variant behaviours (infra/delivery/cdnDistribution.ts).
        viewerRequest:
            config.autoFormat && config.formats.length > 0
                ? viewerRequestFunction(edgeFunctionCode(config.formats))
                : undefined,
        // privateDelivery: every behaviour trusts local mode's key, as the stack's trust its key group.
        signedUrls: urlSigning && {
            keys: new Map([[urlSigning.keyPairId, urlSigning.publicKey]]),
            now: options.cdnClock ?? Date.now,
        },
    });
    const pages = webPages(config, auth ? LOCAL_TOKEN_PATH : undefined);
    const api = localApi({
        corsOrigins,
        cdnUrl,
        apiUrl: `${url}/api`,
        auth,
        presign,
        // A private stack makes no /resize route (index.ts): its redirect would lead to a URL nobody may open.
        resize: urlSigning ? undefined : resize,
        signedUrlRoute: urlSigning !== undefined,
    });

    // The listener's promise is observed: even a failure while answering a failure (a socket gone, a header
    // Node refuses) ends that one response, never the process.
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
        serve(req, res).catch((error) => {
            serverLog({
                level: "error",
                message: "could not answer",
                error: String((error as Error)?.message ?? error).slice(0, 300),
            });
            res.destroy();
        });
    });

    async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const started = Date.now();
        const [rawPath, query = ""] = (req.url ?? "/").split(/\?(.*)/s, 2);
        let status: number;
        try {
            if (rawPath === "/api" || rawPath.startsWith("/api/"))
                status = await api(req, res, rawPath.slice(4), query);
            else if (rawPath.startsWith("/cdn/")) status = await cdn.handle(req, res, rawPath.slice(4), query);
            else if (rawPath.startsWith("/uppy/") || rawPath.startsWith("/client/"))
                status = await pages.bundledAsset(req, res, rawPath);
            else if (rawPath === LOCAL_TOKEN_PATH && auth) {
                const result = auth.tokenResult(query);
                sendHttpResult(res, result);
                status = result.statusCode;
            } else status = pages.page(req, res, rawPath);
        } catch (error) {
            status = 500;
            serverLog({
                level: "error",
                message: "request failed",
                path: rawPath.slice(0, 200),
                error: String((error as Error)?.message ?? error).slice(0, 300),
            });
            if (!res.headersSent) sendHttpResult(res, internalErrorResult());
            else res.end();
        }
        const shown = rawPath.startsWith("/api/") ? `/api${redactGrant(rawPath.slice(4))}` : rawPath; // no grant in logs
        // The access log CloudFront would keep: path without query (a signed URL's signature is never written).
        const key = rawPath.startsWith("/cdn/") ? cdnKeyOf(rawPath) : undefined;
        serverLog({
            level: status >= 500 ? "error" : "info",
            message: "request",
            method: req.method,
            path: shown.slice(0, 200),
            ...(key === undefined ? {} : { uploadId: uploadIdOf(key), key: key.slice(0, 200) }),
            status,
            outcome: status < 400 ? "ok" : "error",
            ms: Date.now() - started,
        });
    }

    return {
        url,
        s3Url: s3Server.url,
        resizeCalls: cdn.resizeCalls,
        invalidations: invalidations.made,
        async close() {
            await new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            });
            s3.destroy();
            await s3Server.close();
        },
    };
}
