// The image in a resize handler's answer, as specs read it: a 200 with a base64 body, its bytes and what sharp reads
// of them (every frame).
import { expect } from "chai";
import sharp from "sharp";
import type { HttpResult } from "../../functions/shared/http";

export async function imageOf(result: HttpResult) {
    expect(result.statusCode, result.body.slice(0, 200)).to.equal(200);
    expect(result.isBase64Encoded).to.equal(true);
    const bytes = Buffer.from(result.body, "base64");
    return { bytes, metadata: await sharp(bytes, { animated: true }).metadata() };
}
