// What the components are built from at deploy time: code archives, Lambda roles, the Lambda runtime.
export * from "./closureArchive";
export * from "./resizerArchive";
export * from "./archiveSize";
export * from "./lambdaRole";
export * from "./lambdaRuntime";
export * from "./pipelineFunction";
export * from "./keyPolicy";
