// The upload API's CORS rules: API Gateway answers preflights with them (infra/upload/presignApi.ts corsConfiguration),
// and local mode's API answers its preflights with the same (local/server.ts).

export const API_CORS = {
    // DELETE: Uppy aborts a multipart upload with DELETE /s3/multipart/<uploadId>.
    allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    // x-content-length: the seed GET flow's declared size (functions/presign/uploadRequest.ts DECLARED_SIZE_HEADER).
    allowHeaders: ["content-type", "authorization", "x-extension", "x-content-length"],
    maxAgeSeconds: 3600,
} as const;
