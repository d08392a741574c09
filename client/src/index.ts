// @image-pipeline/client: CDN URLs, srcset and a next/image loader (pure), and upload() (the one part with I/O).
export { imageUrl, srcSet, pickWidth, type ImageUrlOptions, type SrcSetOptions } from "./imageUrls.js";
export { nextImageLoader, type NextImageLoaderOptions, type NextImageLoaderParams } from "./nextImageLoader.js";
export { statusSrcSet, FINAL_STATES, type UploadState, type UploadStatus } from "./uploadStatus.js";
export { upload, type ApiHeaders, type UploadOptions } from "./upload.js";
export {
    signedImageUrl,
    signedUrlNeedsRefresh,
    uploadIdOfKey,
    type SignedImageUrl,
    type SignedImageUrlOptions,
} from "./signedImageUrl.js";
export { reasonOf, UploadError, type UploadStep } from "./uploadError.js";
export { MIN_PART_BYTES } from "./multipartUpload.js";
export { defaultHttp, type Http, type HttpRequest, type HttpResponse } from "./http.js";
