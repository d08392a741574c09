// Test images generated on the fly (no binary fixtures in the repository).
import sharp from "sharp";
import { randomBytes } from "crypto";
import { photoLike } from "../../bench/corpus";

/** Raw RGB(A) pixels with gradients and a grid, so encoders and resizers have structure to work on. */
function pattern(width: number, height: number, channels: 3 | 4, seed = 0): Buffer {
    const pixels = Buffer.alloc(width * height * channels);
    for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
            const i = (y * width + x) * channels;
            pixels[i] = ((x + seed * 40) * 255) / width;
            pixels[i + 1] = (y * 255) / height;
            pixels[i + 2] = ((x >> 3) + (y >> 3)) % 2 ? 220 : 30;
            if (channels === 4) pixels[i + 3] = x < width / 2 ? 255 : 96; // right half translucent
        }
    }
    return pixels;
}

export function pngBytes(width = 64, height = 48): Promise<Buffer> {
    return sharp(pattern(width, height, 3), { raw: { width, height, channels: 3 } })
        .png()
        .toBuffer();
}

export function pngWithAlpha(width: number, height: number): Promise<Buffer> {
    return sharp(pattern(width, height, 4), { raw: { width, height, channels: 4 } })
        .png()
        .toBuffer();
}

export function jpegBytes(width: number, height: number): Promise<Buffer> {
    return sharp(pattern(width, height, 3), { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 90 })
        .toBuffer();
}

export function webpBytes(width: number, height: number): Promise<Buffer> {
    return sharp(pattern(width, height, 3), { raw: { width, height, channels: 3 } })
        .webp({ quality: 90 })
        .toBuffer();
}

export function avifBytes(width: number, height: number): Promise<Buffer> {
    return sharp(pattern(width, height, 3), { raw: { width, height, channels: 3 } })
        .avif({ quality: 60 })
        .toBuffer();
}

/** A JPEG stored width×height whose EXIF orientation 6 makes it display height×width. */
export function jpegWithOrientation6(width: number, height: number): Promise<Buffer> {
    return sharp(pattern(width, height, 3), { raw: { width, height, channels: 3 } })
        .withMetadata({ orientation: 6 })
        .jpeg()
        .toBuffer();
}

/** An animated image of `frames` frames, each width×height, as GIF or WebP. */
export function animated(format: "gif" | "webp", width: number, height: number, frames: number): Promise<Buffer> {
    const stacked = Buffer.concat(Array.from({ length: frames }, (_, i) => pattern(width, height, 4, i)));
    const image = sharp(stacked, { raw: { width, height: height * frames, channels: 4, pageHeight: height } });
    return (format === "gif" ? image.gif({ delay: 100, loop: 0 }) : image.webp({ delay: 100, loop: 0 })).toBuffer();
}

/** A JPEG as a phone writes it: EXIF with a GPS position and orientation 6 (displayed height×width). Its left
 *  half is red and its right half blue, so the displayed (rotated) image is red on top, blue below. */
export function jpegWithGps(width: number, height: number, options: { icc?: string } = {}): Promise<Buffer> {
    const pixels = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) pixels[i * 3 + (i % width < width / 2 ? 0 : 2)] = 255;
    let image = sharp(pixels, { raw: { width, height, channels: 3 } });
    if (options.icc) image = image.withIccProfile(options.icc);
    return image
        .withExif({
            IFD0: { Make: "PhoneMaker", Model: "Phone 1" },
            IFD3: {
                GPSLatitudeRef: "N",
                GPSLatitude: "37/1 33/1 59/1",
                GPSLongitudeRef: "E",
                GPSLongitude: "126/1 58/1 40/1",
            },
        })
        .withMetadata({ orientation: 6 })
        .jpeg({ quality: 90 })
        .toBuffer();
}

/** True when an EXIF block points to a GPS IFD (tag 0x8825, either byte order). */
export function exifHasGps(exif: Buffer | undefined): boolean {
    return exif !== undefined && (exif.includes(Buffer.from([0x25, 0x88])) || exif.includes(Buffer.from([0x88, 0x25])));
}

/** A large clean baseline JPEG (no metadata, not progressive) of random pixels: about 2.9 bytes per pixel at
 *  quality 100 and 4:4:4, so 3800×3800 is over 40 MB. The ingest function stores such a file byte-identical. */
export function noiseJpeg(width: number, height: number): Promise<Buffer> {
    return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 100, chromaSubsampling: "4:4:4" })
        .toBuffer();
}

/** A photo-like JPEG (bench/corpus.ts's generated scene: soft shapes, texture, sensor-like noise) as a camera or an
 *  editor saves it: at a given quality, baseline or progressive, optionally with GPS EXIF and an orientation. */
export function photoJpeg(
    width: number,
    height: number,
    options: {
        quality: number;
        progressive?: boolean;
        orientation?: number;
        gps?: boolean;
        chromaSubsampling?: "4:2:0" | "4:4:4";
        seed?: number;
    },
): Promise<Buffer> {
    let image = sharp(photoLike(width, height, 3, options.seed ?? 1), { raw: { width, height, channels: 3 } });
    if (options.gps) image = image.withExif({ IFD3: { GPSLatitudeRef: "N", GPSLatitude: "37/1 33/1 59/1" } });
    if (options.orientation) image = image.withMetadata({ orientation: options.orientation });
    return image
        .jpeg({
            quality: options.quality,
            progressive: options.progressive ?? false,
            chromaSubsampling: options.chromaSubsampling ?? "4:2:0",
        })
        .toBuffer();
}

/** Peak signal-to-noise ratio of an encoded image against raw pixels of the same size and channels, in dB. */
export async function psnr(reference: Buffer, encoded: Buffer): Promise<number> {
    const pixels = await sharp(encoded).raw().toBuffer();
    let squared = 0;
    for (let i = 0; i < pixels.length; i++) squared += (pixels[i] - reference[i]) ** 2;
    return 10 * Math.log10((255 * 255) / (squared / pixels.length));
}

/** A grey, lightly textured scene with one saturated, detailed subject (a red disc with a pattern) of `radius`
 *  centred at (cx, cy): what smart crop should keep. */
export function sceneWithSubject(
    width: number,
    height: number,
    cx: number,
    cy: number,
    radius: number,
): Promise<Buffer> {
    const pixels = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
            const i = (y * width + x) * 3;
            const inside = (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
            if (inside) {
                const stripe = ((x >> 3) + (y >> 3)) % 2 === 0;
                pixels[i] = stripe ? 230 : 190;
                pixels[i + 1] = stripe ? 40 : 120;
                pixels[i + 2] = stripe ? 30 : 60;
            } else {
                const grey = 120 + ((x * 7 + y * 13) % 9);
                pixels.fill(grey, i, i + 3);
            }
        }
    }
    return sharp(pixels, { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 92 })
        .toBuffer();
}

/** How many of an image's pixels are the subject's red (clearly redder than the grey scene). */
export async function subjectPixels(image: Buffer): Promise<number> {
    const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    let count = 0;
    for (let i = 0; i < info.width * info.height; i++) if (data[i * 3] - data[i * 3 + 2] > 80) count++;
    return count;
}
