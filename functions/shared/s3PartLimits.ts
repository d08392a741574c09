// S3's multipart limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): the presign API sizes
// the parts it signs by them, and local mode's S3 gate refuses what S3 refuses by the same numbers.

/** The smallest part S3 accepts, for all parts but the last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** The largest part. */
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;
/** The most parts one upload may have (part numbers 1 to 10,000). */
export const MAX_PART_NUMBER = 10_000;
