// One table of sizes for every reader of them: the server's size pattern (functions/shared/bucketLayout.ts), the
// edge function's URI match (tests/unit/widthOnlySizes.spec.ts), and any other reader of sizes (the client library's),
// must each read it alike.

/** Sizes and whether each is one: the table every reader of sizes is held to. */
export const SIZE_CASES: Array<[string, { width: number; height: number } | undefined]> = [
    ["300x300", { width: 300, height: 300 }],
    ["640x0", { width: 640, height: 0 }],
    ["0x480", { width: 0, height: 480 }],
    ["3840x0", { width: 3840, height: 0 }],
    ["999999x0", { width: 999999, height: 0 }],
    ["1x1", { width: 1, height: 1 }],
    ["0x0", undefined],
    ["00x480", undefined],
    ["0640x0", undefined],
    ["640x00", undefined],
    ["640x", undefined],
    ["x480", undefined],
    ["640X0", undefined],
    ["1000000x0", undefined],
    ["-1x0", undefined],
    ["640x0 ", undefined],
    ["640.5x0", undefined],
    ["", undefined],
];
