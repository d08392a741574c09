// Width-only and height-only sizes ("<W>x0", "0x<H>": imgproxy's convention, 0 = keep the aspect ratio) are sizes
// like any other: the size pattern and the variant keys (functions/shared/bucketLayout.ts), the Resizer's key rules
// (functions/resize/variantKey.ts), the edge function's URI match (functions/edge/chooseFormat.js) and the config's
// checks (config/valueChecks.ts, config/keyRules.ts).
import { expect } from "chai";
import { parsePipelineConfig } from "../../config/stackConfig";
import {
    FORMAT_VARIANT_KEY_PATTERN,
    parseSize,
    SIZE_PATTERN,
    VARIANT_PREFIX_PATTERN,
    variantKeysOf,
    viewerKeyOf,
    viewerVariantKeys,
} from "../../functions/shared/bucketLayout";
import { parseVariantKey } from "../../functions/resize/variantKey";
import { edgeFunctionCode } from "../../functions/edge/edgeFunction";
import { viewerRequestFunction } from "../../local/cdn/edgeRuntime";
import { HttpError } from "../../functions/shared/http";
import { SIZE_CASES } from "../support/sizeCases";
import { ns, problemsOf } from "../support/configProblems";

describe("width-only and height-only sizes (<W>x0, 0x<H>)", () => {
    describe("the size pattern (functions/shared/bucketLayout.ts)", () => {
        for (const [size, parsed] of SIZE_CASES) {
            it(`${JSON.stringify(size)} → ${parsed ? `${parsed.width} by ${parsed.height}` : "not a size"}`, () => {
                expect(parseSize(size)).to.deep.equal(parsed);
                expect(SIZE_PATTERN.test(size)).to.equal(parsed !== undefined);
            });
        }

        it("names width-only variant keys like any other: plain, per format, for the viewer and for cleanup", () => {
            const original = "uploads/0b1d2c3e-4f50-4a61-8b72-9c83d4e5f607.jpg";
            expect(viewerVariantKeys(original, ["640x0", "0x480"])).to.deep.equal([
                `640x0/${original}`,
                `0x480/${original}`,
            ]);
            expect(variantKeysOf(original, ["640x0"])).to.deep.equal([
                `640x0/${original}`,
                `640x0/avif/${original}`,
                `640x0/webp/${original}`,
            ]);
            expect(viewerKeyOf(`640x0/avif/${original}`)).to.equal(`640x0/${original}`);
            expect(FORMAT_VARIANT_KEY_PATTERN.exec(`0x480/webp/${original}`)?.slice(1)).to.deep.equal([
                "0",
                "480",
                "webp",
                original,
            ]);
            // What cleanup lists with any size allowed: the "<W>x<H>/" prefixes the bucket holds.
            expect(["640x0/", "0x480/", "640x0/avif/"].map((p) => VARIANT_PREFIX_PATTERN.test(p))).to.deep.equal([
                true,
                true,
                true,
            ]);
            expect(["0x0/", "0x0/avif/"].map((p) => VARIANT_PREFIX_PATTERN.test(p))).to.deep.equal([false, false]);
        });
    });

    describe("the Resizer's key rules (functions/resize/variantKey.ts)", () => {
        const rules = { uploadPrefix: "uploads/", allowedResolutions: ["640x0", "0x480"], maxDimension: 2048 };
        it("reads <W>x0 and 0x<H> keys, 0 standing for the side that keeps the aspect ratio", () => {
            expect(parseVariantKey("640x0/uploads/a.jpg", rules)).to.include({
                width: 640,
                height: 0,
                resolution: "640x0",
                originalKey: "uploads/a.jpg",
            });
            expect(parseVariantKey("0x480/webp/uploads/a.jpg", { ...rules, formats: ["webp"] })).to.deep.include({
                width: 0,
                height: 480,
                format: "webp",
                originalKey: "uploads/a.jpg",
            });
        });

        const refusal = (key: string, r: Parameters<typeof parseVariantKey>[1] = rules) => {
            try {
                parseVariantKey(key, r);
            } catch (error) {
                return [(error as HttpError).statusCode, (error as HttpError).code];
            }
            return undefined;
        };
        it("refuses 0x0 as malformed (400) and a width-only size not allowed as not allowed (403)", () => {
            expect(refusal("0x0/uploads/a.jpg")).to.deep.equal([400, "invalid_key"]);
            expect(refusal("0x0/uploads/a.jpg", { ...rules, allowedResolutions: [] })).to.deep.equal([
                400,
                "invalid_key",
            ]);
            expect(refusal("750x0/uploads/a.jpg")).to.deep.equal([403, "size_not_allowed"]);
            expect(refusal("640x480/uploads/a.jpg")).to.deep.equal([403, "size_not_allowed"]);
        });
        it("with any size allowed, takes a width alone up to maxResizeDimension and refuses one above", () => {
            const any = { ...rules, allowedResolutions: [] };
            expect(refusal("2048x0/uploads/a.jpg", any)).to.equal(undefined);
            expect(refusal("0x2048/uploads/a.jpg", any)).to.equal(undefined);
            expect(refusal("2049x0/uploads/a.jpg", any)).to.deep.equal([403, "size_not_allowed"]);
        });
    });

    describe("the edge function's URI match agrees with the size pattern (functions/edge/chooseFormat.js)", () => {
        const choose = viewerRequestFunction(edgeFunctionCode(["avif", "webp"]));
        const chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
        for (const [size, parsed] of SIZE_CASES.filter(([size]) => !/\s|\//.test(size) && size !== "")) {
            it(`/${size}/uploads/a.jpg is ${parsed ? "rewritten to its AVIF key" : "left alone"}`, () => {
                const uri = `/${size}/uploads/a.jpg`;
                expect(choose({ uri, headers: { accept: chrome } })).to.equal(
                    parsed ? `/${size}/avif/uploads/a.jpg` : uri,
                );
            });
        }
    });

    describe("config validation (config/valueChecks.ts, config/keyRules.ts)", () => {
        it("takes width-only and height-only sizes in allowedResolutions and eagerResolutions", () => {
            const config = parsePipelineConfig(
                ns({ allowedResolutions: "300x300,640x0,0x480", eagerResolutions: "640x0" }),
                "image-pipeline",
            );
            expect(config.allowedResolutions).to.deep.equal(["300x300", "640x0", "0x480"]);
            expect(config.eagerResolutions).to.deep.equal(["640x0"]);
        });

        it("refuses 0x0, naming the two forms that mean one side", () => {
            expect(problemsOf({ allowedResolutions: "640x0,0x0" })).to.include(
                'image-pipeline:allowedResolutions: "0x0" names neither a width nor a height; use <W>x0 for a width alone or 0x<H> for a height',
            );
        });

        it("refuses a width-only or height-only size over maxResizeDimension (Next.js's 3840 under the default 2048)", () => {
            expect(problemsOf({ allowedResolutions: "2048x0,3840x0" })).to.include(
                '"3840x0" exceeds maxResizeDimension (2048)',
            );
            expect(problemsOf({ allowedResolutions: "0x2049" })).to.include(
                '"0x2049" exceeds maxResizeDimension (2048)',
            );
            expect(
                parsePipelineConfig(ns({ allowedResolutions: "3840x0", maxResizeDimension: "3840" }), "image-pipeline")
                    .allowedResolutions,
            ).to.deep.equal(["3840x0"]);
        });

        it("counts each width-only size as one CloudFront behaviour: Next.js's 8 default widths fit, 74 sizes do not", () => {
            const next = "640x0,750x0,828x0,1080x0,1200x0,1920x0,2048x0,3840x0";
            expect(
                parsePipelineConfig(
                    ns({ allowedResolutions: `300x300,640x480,1280x720,${next}`, maxResizeDimension: "3840" }),
                    "image-pipeline",
                ).allowedResolutions,
            ).to.have.length(11);
            const widths = Array.from({ length: 74 }, (_, i) => `${i + 1}x0`).join(",");
            expect(problemsOf({ allowedResolutions: widths })).to.include("74 sizes, but CloudFront allows 75");
        });

        it("refuses an eager width-only size that is not allowed", () => {
            expect(problemsOf({ allowedResolutions: "640x0", eagerResolutions: "750x0" })).to.include(
                '"750x0" not in image-pipeline:allowedResolutions',
            );
        });
    });
});
