// The variant-format segment of the bucket layout ("<W>x<H>/<format>/<original>", functions/shared/bucketLayout.ts),
// its parsing by the Resizer (functions/resize/variantKey.ts) and the `formats` / `autoFormat` config keys.
import { expect } from "chai";
import { ConfigError, parsePipelineConfig } from "../../config/stackConfig";
import { formatVariantKey, VARIANT_KEYS_PATTERN, VARIANT_PREFIX_PATTERN } from "../../functions/shared/bucketLayout";
import { VARIANT_FORMATS } from "../../functions/shared/variantFormats";
import { parseVariantKey, VariantRules } from "../../functions/resize/variantKey";

const RULES: VariantRules = {
    uploadPrefix: "uploads/",
    allowedResolutions: ["300x300", "640x480"],
    maxDimension: 2048,
    formats: ["avif", "webp"],
};

/** IAM's and CloudFront's `*` (any run of characters, `/` included) as a regular expression. */
function wildcard(pattern: string): RegExp {
    return new RegExp(
        `^${pattern
            .split("*")
            .map((part) => part.replace(/[.?+^$()[\]{}|\\]/g, "\\$&"))
            .join(".*")}$`,
    );
}

function statusOf(key: string, rules: VariantRules = RULES): number | undefined {
    try {
        parseVariantKey(key, rules);
    } catch (error) {
        return (error as { statusCode?: number }).statusCode;
    }
    return undefined;
}

describe("variant formats in the bucket layout (bucketLayout.ts, variantKey.ts)", () => {
    it("builds <W>x<H>/<original> without a format and <W>x<H>/<format>/<original> with one", () => {
        expect(formatVariantKey("300x300", undefined, "uploads/a.jpg")).to.equal("300x300/uploads/a.jpg");
        expect(formatVariantKey("300x300", "avif", "uploads/a.jpg")).to.equal("300x300/avif/uploads/a.jpg");
        expect(formatVariantKey("640x480", "webp", "uploads/o/a.png")).to.equal("640x480/webp/uploads/o/a.png");
    });

    it("parses every built key back to its size, format and original", () => {
        for (const format of [undefined, ...VARIANT_FORMATS]) {
            const key = formatVariantKey("640x480", format, "uploads/u/a.gif");
            const parsed = parseVariantKey(key, RULES);
            expect(parsed).to.deep.include({
                width: 640,
                height: 480,
                originalKey: "uploads/u/a.gif",
                variantKey: key,
            });
            expect(parsed.format).to.equal(format);
        }
    });

    it("a key without a format segment keeps meaning the original's format (today's keys unchanged)", () => {
        const parsed = parseVariantKey("300x300/uploads/a.webp", RULES);
        expect(parsed.format).to.equal(undefined);
        expect(parsed.originalKey).to.equal("uploads/a.webp");
    });

    it("a format not enabled in `formats` is refused 403, like a size not allowed", () => {
        expect(statusOf("300x300/avif/uploads/a.jpg", { ...RULES, formats: ["webp"] })).to.equal(403);
        expect(statusOf("300x300/webp/uploads/a.jpg", { ...RULES, formats: [] })).to.equal(403);
        expect(statusOf("300x300/webp/uploads/a.jpg", { ...RULES, formats: undefined })).to.equal(403);
        expect(statusOf("300x300/webp/uploads/a.jpg", { ...RULES, formats: ["webp"] })).to.equal(undefined);
        // the size rule still holds with a format
        expect(statusOf("200x200/webp/uploads/a.jpg")).to.equal(403);
    });

    it("an unknown or misplaced format segment is a malformed key (400)", () => {
        expect(statusOf("300x300/jxl/uploads/a.jpg")).to.equal(400);
        expect(statusOf("300x300/AVIF/uploads/a.jpg")).to.equal(400);
        expect(statusOf("avif/300x300/uploads/a.jpg")).to.equal(400);
        expect(statusOf("300x300/avif/avif/uploads/a.jpg")).to.equal(400);
        expect(statusOf("300x300/avif/300x300/uploads/a.jpg")).to.equal(400);
    });

    it("every format key is a variant key to IAM (VARIANT_KEYS_PATTERN) and its prefix is a variant prefix", () => {
        for (const format of [undefined, ...VARIANT_FORMATS]) {
            const key = formatVariantKey("300x300", format, "uploads/a.jpg");
            expect(wildcard(VARIANT_KEYS_PATTERN).test(key), key).to.equal(true);
            expect(VARIANT_PREFIX_PATTERN.test(key.slice(0, key.length - "uploads/a.jpg".length)), key).to.equal(true);
        }
        expect(VARIANT_PREFIX_PATTERN.test("300x300/jxl/")).to.equal(false);
        expect(VARIANT_PREFIX_PATTERN.test("300x300/avif/avif/")).to.equal(false);
    });
});

describe("formats and autoFormat config keys (config/stackConfig.ts)", () => {
    const parse = (values: Record<string, string>) =>
        parsePipelineConfig(
            Object.fromEntries(Object.entries(values).map(([k, v]) => [`image-pipeline:${k}`, v])),
            "image-pipeline",
        );

    it("defaults to formats avif,webp and autoFormat true", () => {
        expect(parse({})).to.deep.include({ formats: ["avif", "webp"], autoFormat: true });
    });

    it("reads formats as a comma string, a JSON list or empty (no other format than the original's)", () => {
        expect(parse({ formats: "webp" }).formats).to.deep.equal(["webp"]);
        expect(parse({ formats: '["webp","avif"]' }).formats).to.deep.equal(["webp", "avif"]);
        expect(parse({ formats: "" }).formats).to.deep.equal([]);
        expect(parse({ autoFormat: "false" }).autoFormat).to.equal(false);
    });

    for (const [values, named] of [
        [{ formats: "jpeg" }, '"jpeg" is not one of avif, webp'],
        [{ formats: "webp,webp" }, '"webp" is listed twice'],
        [{ autoFormat: "yes" }, '"yes" is not true or false'],
    ] as const) {
        it(`refuses ${JSON.stringify(values)}, naming the value`, () => {
            expect(() => parse(values))
                .to.throw(ConfigError)
                .with.property("message")
                .that.includes(named);
        });
    }
});
