// The image-pipeline stack: read the config, compose the components, export what clients need.
import * as pulumi from "@pulumi/pulumi";
import { parsePipelineConfig } from "./infra/config";
import { ImageBucket } from "./infra/imageBucket";
import { CdnDistribution } from "./infra/cdnDistribution";
import { PresignApi } from "./infra/presignApi";

const config = parsePipelineConfig(pulumi.runtime.allConfig());

const images = new ImageBucket("images", {
    corsOrigins: config.corsOrigins,
    kmsKeyArn: config.kmsKeyArn,
    forceDestroy: config.forceDestroy,
});

const cdn = new CdnDistribution("cdn", {
    bucketName: images.bucketName,
    bucketArn: images.bucketArn,
    bucketRegionalDomainName: images.regionalDomainName,
    corsOrigins: config.corsOrigins,
    corsAllowCredentials: config.corsAllowCredentials,
    priceClass: config.priceClass,
    domainNames: config.domainNames,
    certificateArn: config.certificateArn,
});

const uploads = new PresignApi("uploads", {
    bucketName: images.bucketName,
    bucketArn: images.bucketArn,
    cdnUrl: cdn.url,
    corsOrigins: config.corsOrigins,
    corsAllowCredentials: config.corsAllowCredentials,
    allowedContentTypes: config.allowedContentTypes,
    maxUploadBytes: config.maxUploadBytes,
    uploadExpiresIn: config.uploadExpiresIn,
    jwt: config.jwtIssuer ? { issuer: config.jwtIssuer, audience: config.jwtAudience } : undefined,
});

export const bucketName = images.bucketName;
export const cdnUrl = cdn.url;
export const cdnDomainName = cdn.domainName;
export const distributionId = cdn.distributionId;
export const uploadApiUrl = uploads.url;
