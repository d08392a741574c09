// Uploads: the presign API, ingest (checks each upload), cleanup (removed or replaced originals) and the events topic.
export * from "./presignApi";
export * from "./ingest";
export * from "./cleanup";
export * from "./uploadEvents";
