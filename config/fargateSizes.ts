// Fargate's task sizes: CPU units and the memory each allows. Any other pair is refused by ECS
// ("No Fargate configuration exists for given values"):
// https://docs.aws.amazon.com/AmazonECS/latest/userguide/task-cpu-memory-error.html
// (8 and 16 vCPU need Linux platform 1.4.0; they are left out: one resize rarely uses more than 4 cores.)

export const RESIZER_RUNTIMES = ["lambda", "fargate"] as const;
export type ResizerRuntime = (typeof RESIZER_RUNTIMES)[number];

export const FARGATE_CPU_UNITS = ["256", "512", "1024", "2048", "4096"] as const;
export type FargateCpu = (typeof FARGATE_CPU_UNITS)[number];

const GB = 1024;
const range = (from: number, to: number) => Array.from({ length: (to - from) / GB + 1 }, (_, i) => from + i * GB);

/** Memory (MiB) allowed with each CPU size. */
export const FARGATE_MEMORY_MB: Record<FargateCpu, number[]> = {
    "256": [512, 1 * GB, 2 * GB],
    "512": range(1 * GB, 4 * GB),
    "1024": range(2 * GB, 8 * GB),
    "2048": range(4 * GB, 16 * GB),
    "4096": range(8 * GB, 30 * GB),
};

/** Why a CPU/memory pair is not a Fargate size, or undefined when it is one. */
export function fargateSizeProblem(cpu: FargateCpu, memoryMb: number): string | undefined {
    const allowed = FARGATE_MEMORY_MB[cpu];
    if (allowed.includes(memoryMb)) return undefined;
    return `is not a Fargate size with fargateCpu ${cpu}; allowed: ${allowed.join(", ")} MiB`;
}
