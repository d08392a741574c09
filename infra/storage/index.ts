// The image bucket: the private bucket, its key and policies, and its one notification configuration.
export * from "./imageBucket";
export * from "./bucketPolicy";
export * from "./bucketEvents";
export * from "./bucketKeyGrant";
