// The Resizer, which makes missing variants: a sharp Lambda, or containers on Fargate in a VPC of their own.
export * from "./resizer";
export * from "./fargateResizer";
export * from "./resizerNetwork";
