// SSIMULACRA2, the reference metric tool, as the benchmarks run it (100 = identical, 90 = visually lossless,
// 70 = high quality). It is not an npm package: built from cloudinary/ssimulacra2 or libjxl, on PATH or in
// /usr/local/bin. Where it is missing the benches say so and report without scores.
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import sharp from "sharp";
import { promisify } from "util";

const run = promisify(execFile);

/** A command's path: /usr/local/bin first (where a hand-built tool goes), then PATH; undefined when absent. */
export function toolPath(name: string): string | undefined {
    const local = path.join("/usr/local/bin", name);
    if (fs.existsSync(local)) return local;
    try {
        return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || undefined;
    } catch {
        return undefined;
    }
}

/** The score of `candidate` against the image file `reference`. The tool reads JPEG and PNG only: other formats
 *  (AVIF, WebP) are decoded to a PNG first, losslessly. */
export async function ssimulacra2Score(tool: string, dir: string, reference: string, candidate: Buffer) {
    const { format } = await sharp(candidate).metadata();
    const file = path.join(dir, format === "jpeg" ? "candidate.jpg" : "candidate.png");
    if (format === "jpeg" || format === "png") fs.writeFileSync(file, candidate);
    else await sharp(candidate).png({ compressionLevel: 1 }).toFile(file);
    return Number((await run(tool, [reference, file])).stdout.trim());
}
