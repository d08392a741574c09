// The bucket's CORS rule, shared by the deployed bucket (ImageBucket) and the local S3 (local mode).

export interface UploadCorsRule {
    allowedMethods: string[];
    allowedOrigins: string[];
    allowedHeaders: string[];
    exposeHeaders: string[];
    maxAgeSeconds: number;
}

/** Browsers PUT or POST uploads and read back objects; ETag is exposed so a client can confirm an upload, and Uppy
 *  reads each part's ETag to complete a multipart upload (functions/presign/companionRoutes.ts). */
export function uploadCorsRule(origins: string[]): UploadCorsRule {
    return {
        allowedMethods: ["PUT", "POST", "GET", "HEAD"],
        allowedOrigins: origins,
        allowedHeaders: ["*"],
        exposeHeaders: ["ETag"],
        maxAgeSeconds: 3600,
    };
}
