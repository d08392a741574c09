// The stack config mapped onto each function's settings (functions/<function>/settings.ts holds each type and its
// environment encoding): the one mapping, used the same way by the stack (index.ts) and local mode
// (local/server.ts), so a config key reaches the same functions in both. Each takes what the deployment decides,
// not the config (where the bucket and the CDN are ...), as its second argument.
import type { CleanupSettings } from "../functions/cleanup/settings";
import type { IngestSettings } from "../functions/ingest/settings";
import type { PresignSettings, UrlSigningSettings } from "../functions/presign/settings";
import type { ResizeSettings } from "../functions/resize/settings";
import { UPLOADS_PREFIX } from "../functions/shared/bucketLayout";
import type { VariantFormat } from "../functions/shared/variantFormats";
import type { PipelineConfig } from "./configKeys";
import { fargateVcpus, lambdaVcpus } from "./vcpus";

/** Where the bucket and the CDN are, and whether a JWT authorizer guards the API (the stack adds one when
 *  jwtIssuer is set; local mode has none). */
export interface PresignDeployment {
    bucket: string;
    cdnUrl: string;
    jwtAuthorizer: boolean;
    /** privateDelivery: the key pair URLs are signed with (the stack's UrlSigningKey, or local mode's). */
    urlSigning?: { keyPairId: string; secretArn?: string };
}

export function presignSettingsFromConfig(config: PipelineConfig, deployment: PresignDeployment): PresignSettings {
    return {
        bucket: deployment.bucket,
        allowedContentTypes: config.allowedContentTypes,
        maxUploadBytes: config.maxUploadBytes,
        expiresIn: config.uploadExpiresIn,
        cdnUrl: deployment.cdnUrl,
        requireAuth: deployment.jwtAuthorizer,
        requireUploadSize: config.requireUploadSize,
        ...(config.privateDelivery ? { urlSigning: urlSigningSettings(config, deployment) } : {}),
    };
}

/** What the signing route needs: the key pair, the URLs' lifetime, and the sizes the Resizer makes. */
function urlSigningSettings(config: PipelineConfig, deployment: PresignDeployment): UrlSigningSettings {
    if (!deployment.urlSigning) throw new Error("privateDelivery: the deployment gave no key pair to sign URLs with");
    return {
        ...deployment.urlSigning,
        expiresIn: config.signedUrlExpiresIn,
        allowedResolutions: config.allowedResolutions,
        maxDimension: config.maxResizeDimension,
    };
}

/** The bucket, and (local mode) the CDN URL. On AWS the Resizer is made before the CDN, so its /resize redirects
 *  learn the CDN URL from the API stage instead. */
export interface ResizeDeployment {
    bucket: string;
    cdnUrl?: string;
    /** The stack's metrics namespace (functions/shared/pipelineMetrics.ts metricsNamespace). */
    metricsNamespace: string;
}

export function resizeSettingsFromConfig(config: PipelineConfig, deployment: ResizeDeployment): ResizeSettings {
    return {
        bucket: deployment.bucket,
        uploadPrefix: UPLOADS_PREFIX,
        allowedResolutions: config.allowedResolutions,
        maxDimension: config.maxResizeDimension,
        fit: config.resizeFit,
        gravity: config.resizeGravity,
        quality: config.resizeQuality,
        limitInputPixels: config.limitInputPixels,
        formats: config.formats,
        threads:
            config.resizerRuntime === "fargate" ? fargateVcpus(config.fargateCpu) : lambdaVcpus(config.resizerMemoryMb),
        ...(deployment.cdnUrl === undefined ? {} : { cdnUrl: deployment.cdnUrl }),
        // Behind signed URLs, a redirect to the stored variant must keep the viewer's signature (resize.ts).
        ...(config.privateDelivery ? { privateDelivery: true } : {}),
        metricsNamespace: deployment.metricsNamespace,
    };
}

/** The bucket, (the stack) the upload events topic, and the metrics namespace. */
export interface IngestDeployment {
    bucket: string;
    uploadEventsTopicArn?: string;
    metricsNamespace: string;
}

/** The formats eager variants are made in besides the original's: those the CDN sends browsers (autoFormat). */
export function eagerFormatsFromConfig(config: PipelineConfig): VariantFormat[] {
    return config.autoFormat ? config.formats : [];
}

export function ingestSettingsFromConfig(config: PipelineConfig, deployment: IngestDeployment): IngestSettings {
    return {
        bucket: deployment.bucket,
        allowedContentTypes: config.allowedContentTypes,
        maxUploadBytes: config.maxUploadBytes,
        limitInputPixels: config.limitInputPixels,
        allowedResolutions: config.allowedResolutions,
        eager: {
            resolutions: config.eagerResolutions,
            fit: config.resizeFit,
            gravity: config.resizeGravity,
            quality: config.resizeQuality,
            formats: eagerFormatsFromConfig(config),
        },
        ...(deployment.uploadEventsTopicArn === undefined
            ? {}
            : { uploadEventsTopicArn: deployment.uploadEventsTopicArn }),
        metricsNamespace: deployment.metricsNamespace,
    };
}

export function cleanupSettingsFromConfig(
    config: PipelineConfig,
    deployment: { bucket: string; distributionId: string; metricsNamespace: string },
): CleanupSettings {
    return {
        bucket: deployment.bucket,
        distributionId: deployment.distributionId,
        allowedResolutions: config.allowedResolutions,
        metricsNamespace: deployment.metricsNamespace,
    };
}
