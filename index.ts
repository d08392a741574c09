// The image-pipeline stack: read the config, compose the components, export what clients need.
import * as pulumi from "@pulumi/pulumi";
import { parsePipelineConfig } from "./config/stackConfig";
import { KMS_CREATE } from "./config/valueChecks";
import {
    cleanupSettingsFromConfig,
    eagerFormatsFromConfig,
    ingestSettingsFromConfig,
    presignSettingsFromConfig,
    resizeSettingsFromConfig,
} from "./config/functionSettings";
import { BucketEvents, ImageBucket } from "./infra/storage";
import { CdnDistribution, UrlSigningKey } from "./infra/delivery";
import { resizerOrigin } from "./infra/resize";
import { Cleanup, Ingest, PresignApi, UploadEvents } from "./infra/upload";
import { FailureQueue, IngestFailures } from "./infra/reliability";
import { Observability } from "./infra/observability";
import { STAGING_PREFIX, UPLOADS_PREFIX } from "./functions/shared/bucketLayout";
import { metricsNamespace } from "./functions/shared/pipelineMetrics";

// Keys live under the project's name (Pulumi.yaml), which is what `pulumi config set` writes them under.
const config = parsePipelineConfig(pulumi.runtime.allConfig(), pulumi.getProject());
// The functions' own metrics go to a namespace of this stack (functions/shared/pipelineMetrics.ts).
const namespace = metricsNamespace(pulumi.getProject(), pulumi.getStack());

const images = new ImageBucket("images", {
    corsOrigins: config.corsOrigins,
    kmsKeyArn: config.kmsKeyArn === KMS_CREATE ? undefined : config.kmsKeyArn,
    createKmsKey: config.kmsKeyArn === KMS_CREATE,
    forceDestroy: config.forceDestroy,
});

// Made before the CDN, which fails over to it; the CDN URL reaches /resize as a stage variable. The runtime
// (resizerRuntime: a Lambda, or containers behind an internal ALB) is decided there, and nowhere else.
const resizerSettings = images.bucketName.apply((bucket) =>
    resizeSettingsFromConfig(config, { bucket, metricsNamespace: namespace }),
);
const resizer = resizerOrigin("resizer", config, {
    bucketArn: images.bucketArn,
    kmsKeyArn: images.kmsKeyArn,
    settings: resizerSettings,
});

// Every upload lands in incoming/ and is checked there; only what passes reaches uploads/ (the CDN's). Each
// final status is published to the upload events topic, which only ingest and its failure consumer may publish
// to. An event every ingest attempt failed ends in the failure queue, whose consumer writes `failed`.
const uploadEvents = new UploadEvents("upload-events");
const ingestFailures = new IngestFailures("ingest-failures", {
    bucketArn: images.bucketArn,
    settings: pulumi
        .all([images.bucketName, uploadEvents.topicArn])
        .apply(([bucket, uploadEventsTopicArn]) => ({ bucket, uploadEventsTopicArn, metricsNamespace: namespace })),
    kmsKeyArn: images.kmsKeyArn,
    uploadEvents: { topicArn: uploadEvents.topicArn, keyArn: uploadEvents.keyArn },
    logLevel: config.logLevel,
});
const ingest = new Ingest("ingest", {
    bucketArn: images.bucketArn,
    settings: pulumi
        .all([images.bucketName, uploadEvents.topicArn])
        .apply(([bucket, uploadEventsTopicArn]) =>
            ingestSettingsFromConfig(config, { bucket, uploadEventsTopicArn, metricsNamespace: namespace }),
        ),
    code: resizer.ingestCode,
    architecture: config.resizerArchitecture,
    memoryMb: config.resizerMemoryMb,
    kmsKeyArn: images.kmsKeyArn,
    eagerResolutions: config.eagerResolutions,
    eagerFormats: eagerFormatsFromConfig(config),
    uploadEvents: { topicArn: uploadEvents.topicArn, keyArn: uploadEvents.keyArn },
    failureQueueArn: ingestFailures.queueArn,
    logLevel: config.logLevel,
});
uploadEvents.allowOnlyPublishers([ingest.roleArn, ingestFailures.roleArn]);

// privateDelivery: every image behaviour trusts this key group, and the upload API signs URLs with its key.
const urlSigning = config.privateDelivery ? new UrlSigningKey("url-signing") : undefined;

const cdn = new CdnDistribution("cdn", {
    bucketRegionalDomainName: images.regionalDomainName,
    corsOrigins: config.corsOrigins,
    corsAllowCredentials: config.corsAllowCredentials,
    priceClass: config.priceClass,
    domainNames: config.domainNames,
    certificateArn: config.certificateArn,
    variantFormats: { formats: config.formats, autoFormat: config.autoFormat },
    trustedKeyGroups: urlSigning && [urlSigning.keyGroupId],
    resizer: {
        origin: resizer.cdnOrigin,
        allowedResolutions: config.allowedResolutions,
        originReadTimeoutSeconds: config.resizerOriginReadTimeoutSeconds,
        connectionAttempts: config.resizerOriginConnectionAttempts,
    },
});

// The bucket's one policy: TLS only, read by this distribution alone. The notification configuration waits for it.
const bucketPolicy = images.allowDistributionToRead(cdn);

// Originals removed or overwritten under uploads/: their variants (and status) go, their CDN paths are invalidated.
// An event every attempt failed waits in the cleanup failures queue for an operator.
const cleanupFailures = new FailureQueue("cleanup-failures");
const cleanup = new Cleanup("cleanup", {
    bucketArn: images.bucketArn,
    settings: pulumi
        .all([images.bucketName, cdn.distributionId])
        .apply(([bucket, distributionId]) =>
            cleanupSettingsFromConfig(config, { bucket, distributionId, metricsNamespace: namespace }),
        ),
    distributionArn: cdn.distributionArn,
    listSizePrefixes: config.allowedResolutions.length === 0,
    failureQueueArn: cleanupFailures.queueArn,
    logLevel: config.logLevel,
});

// The bucket's one notification configuration: incoming/ → ingest, uploads/ → cleanup.
new BucketEvents("bucket-events", {
    bucketName: images.bucketName,
    bucketConfigured: bucketPolicy,
    subscriptions: [
        {
            functionArn: ingest.functionArn,
            events: ["s3:ObjectCreated:*"],
            filterPrefix: STAGING_PREFIX,
            permission: ingest.invokePermission,
        },
        {
            functionArn: cleanup.functionArn,
            events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
            filterPrefix: UPLOADS_PREFIX,
            permission: cleanup.invokePermission,
        },
    ],
});

// A created key gets its key policy; a brought key needs this statement added by its owner (docs/encryption.md).
const kmsStatementToAdd = images.allowDistributionToDecrypt(cdn.distributionArn);

const uploads = new PresignApi("uploads", {
    bucketArn: images.bucketArn,
    settings: pulumi
        .all([images.bucketName, cdn.url, urlSigning?.keyPairId, urlSigning?.secretArn])
        .apply(([bucket, cdnUrl, keyPairId, secretArn]) =>
            presignSettingsFromConfig(config, {
                bucket,
                cdnUrl,
                jwtAuthorizer: config.jwtIssuer !== undefined,
                urlSigning: keyPairId ? { keyPairId, secretArn } : undefined,
            }),
        ),
    corsOrigins: config.corsOrigins,
    corsAllowCredentials: config.corsAllowCredentials,
    kmsKeyArn: images.kmsKeyArn,
    jwt: config.jwtIssuer ? { issuer: config.jwtIssuer, audience: config.jwtAudience } : undefined,
    // Behind signed URLs /resize would redirect to a URL no viewer may open: a private stack makes no such route.
    resizer: urlSigning ? undefined : resizer.resizeRoute,
    urlSigning: urlSigning && { readStatements: urlSigning.readStatements() },
    logLevel: config.logLevel,
});

// Every failure seen: an alarm on each (notifying the alarms topics), and a dashboard (docs/operations.md).
const observability = new Observability("observability", {
    watched: {
        functions: [
            uploads.watched,
            ...(resizer.watched.runtime === "lambda" ? [resizer.watched.function] : []),
            ingest.watched,
            ingestFailures.watched,
            cleanup.watched,
        ],
        resizer: resizer.watched,
        failureQueues: [
            { label: "ingest-failures", queueName: ingestFailures.queueName },
            { label: "ingest-dead-letters", queueName: ingestFailures.deadLetterQueueName },
            { label: "cleanup-failures", queueName: cleanupFailures.queueName },
        ],
        apiId: uploads.apiId,
        distributionId: cdn.distributionId,
        cdnAdditionalMetrics: config.cdnAdditionalMetrics,
    },
    thresholds: config,
    namespace,
    dashboardName: `${pulumi.getProject()}-${pulumi.getStack()}`,
    alarmEmail: config.alarmEmail,
});

export const bucketName = images.bucketName;
export const cdnUrl = cdn.url;
export const cdnDomainName = cdn.domainName;
export const distributionId = cdn.distributionId;
export const uploadApiUrl = uploads.url;
/** The bucket's KMS key (SSE-KMS only). */
export const kmsKeyArn = images.kmsKeyArn;
/** For a key you brought (kmsKeyArn = its ARN): add this statement to its key policy, or CloudFront cannot read. */
export const kmsKeyPolicyStatement = kmsStatementToAdd;
/** Subscribe your backend here: each upload's final status JSON, message attribute `status` (ready | rejected |
 *  failed). */
export const uploadEventsTopicArn = uploadEvents.topicArn;
/** Records of ingest events that failed every attempt (its consumer writes `failed`), and those the consumer
 *  could not handle in 5 receives (an operator's). */
export const ingestFailureQueueUrl = ingestFailures.queueUrl;
export const ingestFailureDeadLetterQueueUrl = ingestFailures.deadLetterQueueUrl;
/** Records of cleanup events that failed every attempt: an operator's, kept 14 days. */
export const cleanupFailureQueueUrl = cleanupFailures.queueUrl;
/** The CloudWatch dashboard: uploads, the Resizer, variants, the CDN, failures, an estimated cost. */
export const dashboardUrl = observability.dashboardUrl;
/** The alarms topics (the stack's region; us-east-1 for the CDN's alarm): subscribe here, or set alarmEmail. */
export const alarmTopicArns = observability.alarmTopicArns;
