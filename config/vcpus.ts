// How many vCPUs the Resizer gets, from its runtime's size in the config: its libvips threads follow
// (config/functionSettings.ts sets ResizeSettings.threads from it).

/** Lambda gives CPU in proportion to memory, "at 1,769 MB, a function has the equivalent of one vCPU", up to 6
 *  at 10,240 MB (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html): a thread per started
 *  vCPU, so 1536 MB (the default) keeps one thread and 1770 MB gets a second. */
export const LAMBDA_MB_PER_VCPU = 1769;
export function lambdaVcpus(memoryMb: number): number {
    return Math.min(6, Math.max(1, Math.ceil(memoryMb / LAMBDA_MB_PER_VCPU)));
}

/** A Fargate task has its `cpu` units, "1024 CPU units is the equivalent of 1 vCPU"
 *  (https://repost.aws/knowledge-center/ecs-cpu-allocation); a fraction of one vCPU still gets one thread. */
export function fargateVcpus(cpuUnits: string): number {
    return Math.max(1, Math.floor(Number(cpuUnits) / 1024));
}
