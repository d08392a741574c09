// A focal point end to end in local mode: given at presign time, signed into the PUT, kept by ingest on the original,
// and used by `cover` both for an eager variant (ingest) and for one the Resizer makes on its first request.
import { expect } from "chai";
import sharp from "sharp";
import { sceneWithSubject, subjectPixels } from "../support/images";
import { startTestPipeline, uploadAndCheck } from "../support/localPipeline";

describe("focal point in local mode (presign → PUT → ingest → eager variant and Resizer)", function () {
    this.timeout(120_000);
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    before(async () => {
        pipeline = await startTestPipeline({
            "image-pipeline:allowedResolutions": "300x300,480x480",
            "image-pipeline:eagerResolutions": "300x300",
        });
    });
    after(() => pipeline?.close());

    /** The share of the subject's red pixels a variant keeps, against the subject scaled whole to its height. */
    const keptOf = async (path: string, whole: number) => {
        const response = await fetch(`${pipeline.url}/cdn/${path}`, { headers: { accept: "*/*" } });
        expect(response.status, path).to.equal(200);
        return (await subjectPixels(Buffer.from(await response.arrayBuffer()))) / whole;
    };

    it("crops around the point the upload was signed with; without one, at the centre", async () => {
        // The subject (a red disc) sits at the left edge of a 1200x800 scene, at (130, 400).
        const scene = await sceneWithSubject(1200, 800, 130, 400, 110);
        const wholeAt = async (height: number) =>
            subjectPixels(await sharp(scene).resize({ height }).jpeg({ quality: 92 }).toBuffer());
        const whole = { "300x300": await wholeAt(300), "480x480": await wholeAt(480) };

        const focused = await uploadAndCheck(pipeline.url, "image/jpeg", scene, { focus: { x: 130 / 1200, y: 0.5 } });
        const plain = await uploadAndCheck(pipeline.url, "image/jpeg", scene);
        for (const { status } of [focused, plain]) expect(status.status).to.equal("ready");
        expect(focused.status.storedVariants).to.include(`300x300/${focused.signed.key}`);

        const resizes = pipeline.resizeCalls();
        expect(await keptOf(`300x300/${focused.signed.key}`, whole["300x300"]), "eager, focused").to.be.above(0.95);
        expect(pipeline.resizeCalls(), "the eager variant came from storage").to.equal(resizes);
        expect(await keptOf(`480x480/${focused.signed.key}`, whole["480x480"]), "Resizer, focused").to.be.above(0.95);
        expect(await keptOf(`300x300/${plain.signed.key}`, whole["300x300"]), "eager, centre").to.be.below(0.2);
        expect(await keptOf(`480x480/${plain.signed.key}`, whole["480x480"]), "Resizer, centre").to.be.below(0.2);
    });

    it("refuses a focal point outside the image, signing nothing (400 invalid_focus)", async () => {
        const response = await fetch(`${pipeline.url}/api/uploads`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ contentType: "image/jpeg", focus: { x: 0.5, y: -1 } }),
        });
        expect(response.status).to.equal(400);
        expect(((await response.json()) as { error: { code: string } }).error.code).to.equal("invalid_focus");
    });
});
