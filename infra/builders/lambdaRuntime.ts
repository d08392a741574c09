// The Node.js runtime both Lambdas run on, and the esbuild target their bundles are built for: one fact.

/** https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html */
export const LAMBDA_RUNTIME = "nodejs22.x";
/** "nodejs22.x" → "node22": bundles use no syntax the runtime lacks. */
export const LAMBDA_NODE_TARGET = LAMBDA_RUNTIME.replace(/^nodejs(\d+)\.x$/, "node$1");
