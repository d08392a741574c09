// The images the benchmark resizes: real photos from --corpus DIR, or a deterministic generated set with
// photo-like content (smooth gradients, texture and sensor-like noise), one of them 18 MP.
import * as fs from "fs";
import * as path from "path";
import sharp from "sharp";
import { checkAndClean } from "../functions/ingest/checkUpload";
import { contentTypeForKey, ImageContentType } from "../functions/shared/imageTypes";

export interface BenchImage {
    name: string;
    file: string;
    bytes: Buffer;
    contentType: string;
    width: number;
    height: number;
}

/** The original as ingest stores it (a progressive upload re-encoded baseline where that pays): what the Resizer
 *  reads on a first hit. */
export async function storedOriginal(image: BenchImage): Promise<Buffer> {
    const type = image.contentType as ImageContentType;
    const limits = { allowedContentTypes: [type], maxUploadBytes: 2 ** 31, limitInputPixels: 50_000_000 };
    return (await checkAndClean(image.bytes, { contentType: type, keyType: type }, limits)).bytes;
}

export async function loadCorpus(dir: string): Promise<BenchImage[]> {
    const names = fs
        .readdirSync(dir)
        .filter((name) => contentTypeForKey(name))
        .sort();
    if (names.length === 0) throw new Error(`No jpg, png, webp, gif or avif images in ${dir}`);
    return Promise.all(names.map((name) => describe(name, path.join(dir, name))));
}

/** A section run alone (`npx ts-node -T bench/<section>.ts [--corpus DIR] [--runs N]`): its images and runs. */
export async function sectionArguments(argv: string[], defaultRuns: number) {
    const corpusAt = argv.indexOf("--corpus");
    const runsAt = argv.indexOf("--runs");
    const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : defaultRuns;
    const images =
        corpusAt >= 0
            ? await loadCorpus(path.resolve(argv[corpusAt + 1]))
            : await generateCorpus(path.resolve(__dirname, "..", ".build", "bench-corpus"));
    return { images, runs };
}

export async function generateCorpus(dir: string): Promise<BenchImage[]> {
    fs.mkdirSync(dir, { recursive: true });
    // One of at least 18 MP; the dimensions are in the names, so a changed set never reuses a stale file.
    const specs: Array<[string, number, number]> = [
        ["jpg", 6000, 3100],
        ["jpg", 3840, 2160],
        ["jpg", 1600, 1200],
        ["png", 1920, 1200],
    ];
    const images: BenchImage[] = [];
    for (const [index, [extension, width, height]] of specs.entries()) {
        const name = `generated-${width}x${height}.${extension}`;
        const file = path.join(dir, name);
        if (!fs.existsSync(file)) {
            const png = extension === "png";
            const image = sharp(photoLike(width, height, png ? 4 : 3, index + 1), {
                raw: { width, height, channels: png ? 4 : 3 },
            });
            fs.writeFileSync(file, await (png ? image.png() : image.jpeg({ quality: 88 })).toBuffer());
        }
        images.push(await describe(name, file));
    }
    return images;
}

async function describe(name: string, file: string): Promise<BenchImage> {
    const bytes = fs.readFileSync(file);
    const metadata = await sharp(bytes).metadata();
    return {
        name,
        file,
        bytes,
        contentType: contentTypeForKey(name)!,
        width: metadata.width!,
        height: metadata.height!,
    };
}

/** Deterministic pixels: large soft shapes like a scene, fine texture, and noise (xorshift PRNG). */
export function photoLike(width: number, height: number, channels: 3 | 4, seed: number): Buffer {
    const pixels = Buffer.alloc(width * height * channels);
    let state = 0x9e3779b9 ^ seed;
    const random = () => {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        return ((state >>> 0) % 1000) / 1000;
    };
    for (let y = 0; y < height; y++) {
        const v = y / height;
        for (let x = 0; x < width; x++) {
            const u = x / width;
            const sky = Math.max(0, 1 - v * 1.6);
            const hill = Math.sin(u * 7 + seed) * 0.1 + 0.55 < v ? 1 : 0;
            const texture = Math.sin(x * 0.05 + Math.sin(y * 0.03) * 3) * 18;
            const noise = (random() - 0.5) * 24;
            const i = (y * width + x) * channels;
            pixels[i] = clamp(90 + sky * 110 - hill * 40 + texture + noise);
            pixels[i + 1] = clamp(120 + sky * 90 + hill * 30 + texture * 0.8 + noise);
            pixels[i + 2] = clamp(160 + sky * 80 - hill * 90 + noise);
            if (channels === 4) pixels[i + 3] = clamp(255 - Math.hypot(u - 0.5, v - 0.5) * 400);
        }
    }
    return pixels;
}

const clamp = (value: number) => Math.max(0, Math.min(255, Math.round(value)));
