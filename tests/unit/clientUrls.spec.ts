// The client library's pure URL rules (client/src/imageUrls.ts, nextImageLoader.ts, uploadStatus.ts), as tables.
import { expect } from "chai";
import { imageUrl, nextImageLoader, pickWidth, srcSet, statusSrcSet, UploadStatus } from "../../client/src/index";
import { parseVariantKey } from "../../functions/resize/variantKey";

const CDN = "https://d111.cloudfront.net";
const KEY = "uploads/9b1d2f3e-0000-4000-8000-000000000001.jpg";

describe("client imageUrl: <cdnUrl>/<W>x<H>/<key>, 0 for a side left out, the original with neither", () => {
    const cases: [string, Parameters<typeof imageUrl>[1], string][] = [
        ["width and height", { cdnUrl: CDN, width: 640, height: 480 }, `${CDN}/640x480/${KEY}`],
        ["width only → <W>x0", { cdnUrl: CDN, width: 640 }, `${CDN}/640x0/${KEY}`],
        ["height only → 0x<H>", { cdnUrl: CDN, height: 480 }, `${CDN}/0x480/${KEY}`],
        ["neither → the original", { cdnUrl: CDN }, `${CDN}/${KEY}`],
        ["a trailing slash on cdnUrl", { cdnUrl: `${CDN}/`, width: 300 }, `${CDN}/300x0/${KEY}`],
        ["a same-origin path as cdnUrl", { cdnUrl: "/cdn", width: 300 }, `/cdn/300x0/${KEY}`],
    ];
    for (const [name, options, url] of cases) it(name, () => expect(imageUrl(KEY, options)).to.equal(url));

    it("takes a key with a leading slash (as next/image passes src) and percent-encodes each segment", () => {
        expect(imageUrl(`/${KEY}`, { cdnUrl: CDN })).to.equal(`${CDN}/${KEY}`);
        expect(imageUrl("uploads/a b#?.jpg", { cdnUrl: CDN, width: 10 })).to.equal(
            `${CDN}/10x0/uploads/a%20b%23%3F.jpg`,
        );
    });

    it("makes variant keys the Resizer reads back as the same size (functions/resize/variantKey.ts)", () => {
        const rules = { uploadPrefix: "uploads/", allowedResolutions: [], maxDimension: 4096 };
        const sizes: [number | undefined, number | undefined][] = [
            [300, 300],
            [1280, 720],
            [640, undefined],
            [undefined, 480],
        ];
        for (const [width, height] of sizes) {
            const key = imageUrl(KEY, { cdnUrl: CDN, width, height }).slice(CDN.length + 1);
            expect(parseVariantKey(key, rules)).to.include({
                width: width ?? 0,
                height: height ?? 0,
                originalKey: KEY,
            });
        }
    });

    const refused: [string, unknown, unknown, RegExp][] = [
        ["a width of 0", KEY, { cdnUrl: CDN, width: 0 }, /width must be a whole number of pixels from 1/],
        ["a fractional height", KEY, { cdnUrl: CDN, height: 10.5 }, /height must be a whole number/],
        ["a width over six digits", KEY, { cdnUrl: CDN, width: 1_000_000 }, /from 1 to 999999/],
        ["a width as text", KEY, { cdnUrl: CDN, width: "640" }, /width must be a whole number/],
        ["no cdnUrl", KEY, {}, /cdnUrl must be an http\(s\) URL/],
        ["a cdnUrl with a query", KEY, { cdnUrl: `${CDN}?x=1` }, /without \? or #/],
        ["a cdnUrl that is no URL", KEY, { cdnUrl: "d111.cloudfront.net" }, /cdnUrl must be/],
        ["an empty key", "", { cdnUrl: CDN }, /key must be the image's key/],
        ["a URL as key", `${CDN}/${KEY}`, { cdnUrl: CDN }, /key must be the image's key/],
    ];
    for (const [name, key, options, message] of refused)
        it(`refuses ${name} with a TypeError that says what is wanted`, () =>
            expect(() => imageUrl(key as string, options as any)).to.throw(TypeError, message));
});

describe("client srcSet: width-only sizes with w descriptors, narrowest first", () => {
    it("lists each allowed width once, sorted, as <url of <W>x0> <W>w", () => {
        expect(srcSet(KEY, { cdnUrl: CDN, widths: [1080, 640, 1080, 828] })).to.equal(
            `${CDN}/640x0/${KEY} 640w, ${CDN}/828x0/${KEY} 828w, ${CDN}/1080x0/${KEY} 1080w`,
        );
    });
    it("refuses an empty list and a width that is no size", () => {
        expect(() => srcSet(KEY, { cdnUrl: CDN, widths: [] })).to.throw(TypeError, /at least one width-only size/);
        expect(() => srcSet(KEY, { cdnUrl: CDN, widths: [640, -1] })).to.throw(TypeError, /each width must be/);
    });
});

describe("client nextImageLoader: the smallest allowed width at least as wide as asked, else the widest", () => {
    const widths = [1080, 640, 1920];
    const loader = nextImageLoader({ cdnUrl: CDN, widths });
    const cases: [string, number, number][] = [
        ["below the smallest", 16, 640],
        ["exactly the smallest", 640, 640],
        ["between two", 641, 1080],
        ["between two, just under the next", 1079, 1080],
        ["exactly the largest", 1920, 1920],
        ["above the largest", 3840, 1920],
        ["a fractional width", 640.5, 1080],
    ];
    for (const [name, asked, served] of cases)
        it(`${name}: ${asked} → ${served}x0`, () => {
            expect(loader({ src: `/${KEY}`, width: asked, quality: 75 })).to.equal(`${CDN}/${served}x0/${KEY}`);
            expect(pickWidth(widths, asked)).to.equal(served);
        });
    it("ignores quality: the pipeline encodes each format at its own quality", () => {
        expect(loader({ src: KEY, width: 700, quality: 10 })).to.equal(loader({ src: KEY, width: 700 }));
    });
    it("refuses bad options when made, and a width that is no positive number when called", () => {
        expect(() => nextImageLoader({ cdnUrl: CDN, widths: [] })).to.throw(TypeError, /at least one/);
        expect(() => nextImageLoader({ cdnUrl: "", widths: [640] })).to.throw(TypeError, /cdnUrl must be/);
        expect(() => loader({ src: KEY, width: 0 })).to.throw(TypeError, /positive number, not 0/);
        expect(() => loader({ src: KEY, width: NaN })).to.throw(TypeError, /positive number, not NaN/);
    });
});

describe("client statusSrcSet: a ready upload's srcset from the variant keys its status names", () => {
    const ready = (width: number, variants: string[]): UploadStatus => ({
        status: "ready",
        key: KEY,
        width,
        height: width / 2,
        format: "jpeg",
        bytes: 1000,
        variants,
    });
    it("each width-only variant narrower than the original, then the original at its width; boxes left out", () => {
        const status = ready(1000, [`300x300/${KEY}`, `828x0/${KEY}`, `640x0/${KEY}`, `1080x0/${KEY}`, `0x480/${KEY}`]);
        expect(statusSrcSet(status, { cdnUrl: CDN })).to.equal(
            `${CDN}/640x0/${KEY} 640w, ${CDN}/828x0/${KEY} 828w, ${CDN}/${KEY} 1000w`,
        );
    });
    it("only the original when the status names no width-only variant", () => {
        expect(statusSrcSet(ready(500, [`300x300/${KEY}`]), { cdnUrl: "/cdn" })).to.equal(`/cdn/${KEY} 500w`);
    });
    it("refuses a status that is not ready", () => {
        const rejected = { ...ready(10, []), status: "rejected", width: null } as UploadStatus;
        expect(() => statusSrcSet(rejected, { cdnUrl: CDN })).to.throw(TypeError, /ready upload/);
    });
});
