// Test images generated on the fly (no binary fixtures in the repository).
import sharp from "sharp";

/** A small opaque PNG with some structure, so encoders have something to do. */
export function pngBytes(width = 64, height = 48): Promise<Buffer> {
    const pixels = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
            const i = (y * width + x) * 3;
            pixels[i] = (x * 255) / width;
            pixels[i + 1] = (y * 255) / height;
            pixels[i + 2] = ((x + y) % 16) * 16;
        }
    }
    return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
