// Delivery: the CloudFront distribution in front of the bucket, failing over to the Resizer for missing variants.
export * from "./cdnDistribution";
export * from "./failoverOrigins";
export * from "./urlSigningKey";
