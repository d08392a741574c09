// Where failures go: the failure queues of the asynchronous Lambdas, and the consumer that ends failed uploads.
export * from "./failureQueue";
export * from "./ingestFailures";
