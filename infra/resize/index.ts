// The Resizer, which makes missing variants: a sharp Lambda, or containers on Fargate in a VPC of their own.
export * from "./resizerOrigin";
export * from "./resizerPolicy";
export * from "./resizer";
export * from "./fargateResizer";
export * from "./resizerNetwork";
export * from "./containerRoles";
export * from "./containerService";
export * from "./containerScaling";
