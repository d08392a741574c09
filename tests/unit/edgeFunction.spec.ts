// The CloudFront Function that picks a variant's format from Accept (functions/edge/chooseFormat.js), run as the
// local CDN runs it: in a vm context with only what CloudFront's runtime offers (local/cdn/edgeRuntime.ts).
import { expect } from "chai";
import { EDGE_FUNCTION_RUNTIME, MAX_FUNCTION_BYTES, edgeFunctionCode } from "../../functions/edge/edgeFunction";
import { chooseOutputFormat, KEPT_EXTENSIONS, VARIANT_FORMATS } from "../../functions/shared/variantFormats";
import { compileViewerRequest, viewerRequestFunction } from "../../local/cdn/edgeRuntime";

const code = (formats: string[]) => edgeFunctionCode(formats);

/** Accept headers real browsers send for <img> requests (each browser's own documented default). */
const BROWSERS = {
    chrome: "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", // Chrome 85+ (AVIF since 85)
    firefox: "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5", // Firefox 128+
    safari: "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5", // Safari 17
    chromeBeforeAvif: "image/webp,image/apng,image/*,*/*;q=0.8", // Chrome 76–84
    safari13: "image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5", // Safari 13: neither
    ie11: "image/png, image/svg+xml, image/*; q=0.8, */*; q=0.5",
    curl: "*/*",
};

describe("edge format choice (functions/edge/chooseFormat.js, CloudFront Functions runtime 2.0)", () => {
    const choose = viewerRequestFunction(code(["avif", "webp"]));
    const rewrite = (
        accept: string | string[] | undefined,
        uri = "/300x300/uploads/0b1d2c3e-4f50-4a61-8b72-9c83d4e5f607.jpg",
    ) => choose({ uri, headers: { accept } });
    const ORIGINAL = "/300x300/uploads/0b1d2c3e-4f50-4a61-8b72-9c83d4e5f607.jpg";
    const AVIF = "/300x300/avif/uploads/0b1d2c3e-4f50-4a61-8b72-9c83d4e5f607.jpg";
    const WEBP = "/300x300/webp/uploads/0b1d2c3e-4f50-4a61-8b72-9c83d4e5f607.jpg";

    describe("real browsers' Accept for images → exactly this URI", () => {
        const expected: Record<keyof typeof BROWSERS, string> = {
            chrome: AVIF,
            firefox: AVIF,
            safari: AVIF, // webp and avif both q=1: the smaller format wins the tie
            chromeBeforeAvif: WEBP,
            safari13: ORIGINAL,
            ie11: ORIGINAL,
            curl: ORIGINAL,
        };
        for (const [browser, accept] of Object.entries(BROWSERS)) {
            const want = expected[browser as keyof typeof BROWSERS];
            it(`${browser} → ${want.split("/")[2] === "uploads" ? "the original's format" : want.split("/")[2]}`, () => {
                expect(rewrite(accept)).to.equal(want);
            });
        }
        it("no Accept header, or an empty one → the original's format", () => {
            expect(rewrite(undefined)).to.equal(ORIGINAL);
            expect(rewrite("")).to.equal(ORIGINAL);
        });
    });

    describe("wildcards and q-values", () => {
        it("image/* or */* alone never means AVIF or WebP (browsers without either send them)", () => {
            expect(rewrite("image/*")).to.equal(ORIGINAL);
            expect(rewrite("image/*,*/*;q=0.8")).to.equal(ORIGINAL);
        });
        it("q=0 refuses a format, also when another element names it with a q > 0", () => {
            expect(rewrite("image/avif;q=0,image/webp")).to.equal(WEBP);
            expect(rewrite("image/avif;q=0,image/avif,image/webp;q=0.1")).to.equal(WEBP);
            expect(rewrite("image/avif;q=0,image/webp;q=0.000")).to.equal(ORIGINAL);
        });
        it("the higher q wins; a tie goes to AVIF", () => {
            expect(rewrite("image/webp;q=0.9,image/avif;q=0.5")).to.equal(WEBP);
            expect(rewrite("image/webp;q=0.5,image/avif;q=0.5")).to.equal(AVIF);
            expect(rewrite("image/webp;q=1.0,image/avif;q=0.999")).to.equal(WEBP);
        });
        it("reads media types case-insensitively, with spaces and extra parameters, and repeated Accept headers", () => {
            expect(rewrite("IMAGE/AVIF ; Q=0.9")).to.equal(AVIF);
            expect(rewrite('image/webp;profile="x";q=0.7')).to.equal(WEBP);
            expect(rewrite(["text/html", "image/webp"])).to.equal(WEBP);
            expect(rewrite("image/webp,,image/avif;q=0.2,")).to.equal(WEBP);
            expect(rewrite("image/avif;;q=1;")).to.equal(AVIF); // RFC 9110: empty list elements and parameters
        });
    });

    describe("malformed or overlong Accept → the original's format, never an error", () => {
        for (const accept of [
            "image/avif;q=abc",
            "image/avif;q=2",
            "image/avif;q=0.1234",
            "image/avif;q",
            "image/avif;=1",
            "avif",
            "image/avif/x",
            "image avif",
            "image/av if",
            "\u0000image/avif",
            "image/avif,\u00e9/\u00e9",
        ]) {
            it(`${JSON.stringify(accept)}`, () => expect(rewrite(accept)).to.equal(ORIGINAL));
        }
        /** A well-formed Accept of this length naming image/avif first. */
        const padded = (length: number) => `image/avif,${"a/b".padEnd(length - 11, " ")}`;
        it("an 8 KB Accept naming image/avif first", () => {
            expect(padded(8192).length).to.equal(8192);
            expect(rewrite(padded(8192))).to.equal(ORIGINAL);
        });
        it("reads up to 1,024 characters (real ones are under 300), not one more", () => {
            expect(padded(1024).length).to.equal(1024);
            expect(rewrite(padded(1024))).to.equal(AVIF);
            expect(rewrite(padded(1025))).to.equal(ORIGINAL);
        });
        it("a quoted parameter holding a comma (not split safely) counts as malformed: the original's format", () => {
            expect(rewrite('image/avif;x="a,b"')).to.equal(ORIGINAL);
        });
        it("events without headers, with odd header shapes or no URI return the request unchanged", () => {
            const run = compileViewerRequest(code(["avif", "webp"]));
            const events: any[] = [
                { request: { uri: "/300x300/uploads/a.jpg" } },
                { request: { uri: "/300x300/uploads/a.jpg", headers: { accept: {} } } },
                { request: { uri: "/300x300/uploads/a.jpg", headers: { accept: { value: 7 } } } },
                { request: { uri: "/300x300/uploads/a.jpg", headers: { accept: { multiValue: [{}, null] } } } },
                { request: { uri: "/300x300/uploads/a.jpg", headers: { accept: null } } },
                { request: { headers: { accept: { value: "image/avif" } } } },
                { request: { uri: 5, headers: { accept: { value: "image/avif" } } } },
            ];
            for (const event of events) expect(run(event), JSON.stringify(event)).to.deep.equal(event.request);
        });
        it("never throws on random Accept strings, and answers one of the three URIs", () => {
            let seed = 15;
            const random = () => {
                seed = (seed * 1103515245 + 12345) % 2147483648;
                return seed / 2147483648;
            };
            const alphabet = 'image/avifwebp*;q=0.5, "\t\u00ff\u0000=/';
            for (let i = 0; i < 500; i++) {
                const length = Math.floor(random() * 80);
                let accept = "";
                for (let j = 0; j < length; j++) accept += alphabet[Math.floor(random() * alphabet.length)];
                expect([ORIGINAL, AVIF, WEBP]).to.include(rewrite(accept));
            }
        });
    });

    describe("paths", () => {
        it("rewrites only /<W>x<H>/uploads/… : originals, explicit format paths and other paths pass through", () => {
            const chrome = BROWSERS.chrome;
            for (const uri of [
                "/uploads/a.jpg",
                "/300x300/avif/uploads/a.jpg",
                "/300x300/webp/uploads/a.jpg",
                "/favicon.ico",
                "/0300x300/uploads/a.jpg",
                "/300x300/other/a.jpg",
                "/a/300x300/uploads/a.jpg",
                "/300x300/uploads/noextension",
            ]) {
                expect(choose({ uri, headers: { accept: chrome } }), uri).to.equal(uri);
            }
            expect(choose({ uri: "/640x480/uploads/user_1/a.png", headers: { accept: chrome } })).to.equal(
                "/640x480/avif/uploads/user_1/a.png",
            );
        });
        it("leaves AVIF and WebP originals' variants at their plain URI: the Resizer keeps their format anyway", () => {
            for (const extension of ["avif", "webp", "AVIF"]) {
                for (const accept of [BROWSERS.chrome, BROWSERS.chromeBeforeAvif]) {
                    const uri = `/300x300/uploads/a.${extension}`;
                    expect(rewrite(accept, uri), `${extension} ${accept}`).to.equal(uri);
                }
            }
            // The rule the edge follows: functions/shared/variantFormats.ts renders such originals in their own format.
            for (const original of KEPT_EXTENSIONS) {
                for (const requested of VARIANT_FORMATS) {
                    const choice = { requested, original, animated: false, outputPixels: 1, avifMaxPixels: 1e9 };
                    expect(chooseOutputFormat(choice), `${original} as ${requested}`).to.equal(original);
                }
            }
        });
    });

    describe("the enabled formats", () => {
        it("webp only: AVIF browsers get WebP", () => {
            const webpOnly = viewerRequestFunction(code(["webp"]));
            expect(webpOnly({ uri: ORIGINAL, headers: { accept: BROWSERS.chrome } })).to.equal(WEBP);
        });
        it("avif only: browsers without AVIF get the original's format", () => {
            const avifOnly = viewerRequestFunction(code(["avif"]));
            expect(avifOnly({ uri: ORIGINAL, headers: { accept: BROWSERS.chromeBeforeAvif } })).to.equal(ORIGINAL);
        });
        it("none: nothing is rewritten", () => {
            const none = viewerRequestFunction(code([]));
            expect(none({ uri: ORIGINAL, headers: { accept: BROWSERS.chrome } })).to.equal(ORIGINAL);
        });
        it("the preference order is the layout's (AVIF first), not the config's", () => {
            const reversed = viewerRequestFunction(code(["webp", "avif"]));
            expect(reversed({ uri: ORIGINAL, headers: { accept: BROWSERS.safari } })).to.equal(AVIF);
        });
        it("refuses a format the bucket layout does not know", () => {
            expect(() => code(["jxl"])).to.throw(/unknown formats \["jxl"\]/);
        });
    });

    describe("what the CloudFront runtime allows", () => {
        it(`is at most ${MAX_FUNCTION_BYTES} bytes (CloudFront Functions' size quota), for runtime ${EDGE_FUNCTION_RUNTIME}`, () => {
            expect(Buffer.byteLength(code(["avif", "webp"]))).to.be.at.most(MAX_FUNCTION_BYTES);
        });
        it("the local runtime has no eval, new Function, require, process, Buffer or timers, and is strict, as CloudFront's", () => {
            for (const body of [
                "undeclared = 1",
                "eval('1')",
                "new Function('return 1')()",
                "require('fs')",
                "process.env",
                "Buffer.from('a')",
                "setTimeout(() => 0, 1)",
            ]) {
                const run = compileViewerRequest(`function handler(event) { ${body}; return event.request; }`);
                expect(() => run({ request: { uri: "/" } }), body).to.throw();
            }
        });
    });
});
