// A focal point given at presign time (functions/shared/focalPoint.ts): signed into the upload (x-amz-meta-focus),
// and `cover` crops around it (functions/resize/renderVariant.ts). Ingest keeping it on the original and the
// Resizer reading it back are in tests/e2e/focalPointLocal.spec.ts.
import { expect } from "chai";
import sharp from "sharp";
import { focusCrop, renderVariant } from "../../functions/resize/renderVariant";
import { focusFromBody, focusText, parseFocus } from "../../functions/shared/focalPoint";
import { HttpError } from "../../functions/shared/http";
import { httpEvent } from "../support/events";
import { sceneWithSubject, subjectPixels } from "../support/images";
import { handler, json, s3, usePresignHarness } from "../support/presignHarness";

const staged = (key: string) => key.replace(/^uploads\//, "incoming/");
/** The corner scene of tests/unit/resizeResponsive.spec.ts: a red disc at (130, 400) of a 1200x800 image. */
const SUBJECT = { x: 130 / 1200, y: 400 / 800 };

describe("focal point (focus at presign time; cover crops around it)", () => {
    describe("its text (x-amz-meta-focus) and the request field", () => {
        for (const [text, parsed] of [
            ["0.5,0.5", { x: 0.5, y: 0.5 }],
            ["0,1", { x: 0, y: 1 }],
            ["1.0,0.1083", { x: 1, y: 0.1083 }],
            ["0.12345,0.5", undefined],
            ["1.5,0.5", undefined],
            ["-0.1,0.5", undefined],
            ["0.5", undefined],
            ["0.5, 0.5", undefined],
            ["", undefined],
        ] as const) {
            it(`${JSON.stringify(text)} → ${parsed ? `${parsed.x}, ${parsed.y}` : "no focal point"}`, () => {
                expect(parseFocus(text)).to.deep.equal(parsed);
            });
        }

        it("stores a point rounded to 4 decimals, read back the same", () => {
            expect(focusText({ x: 1 / 3, y: 0 })).to.equal("0.3333,0");
            expect(parseFocus(focusText({ x: 0.10833333, y: 1 }))).to.deep.equal({ x: 0.1083, y: 1 });
        });

        it("takes { x, y } in 0..1 and refuses anything else with 400 invalid_focus", () => {
            expect(focusFromBody({ x: 0, y: 1 })).to.deep.equal({ x: 0, y: 1 });
            for (const bad of [
                { x: 1.01, y: 0 },
                { x: "0.5", y: 0.5 },
                { x: 0.5 },
                [0.5, 0.5],
                "0.5,0.5",
                null,
                { x: 0.5, y: 0.5, z: 0 },
            ]) {
                try {
                    focusFromBody(bad);
                    expect.fail(`took ${JSON.stringify(bad)}`);
                } catch (error) {
                    expect(error, JSON.stringify(bad)).to.be.instanceOf(HttpError);
                    expect([(error as HttpError).statusCode, (error as HttpError).code]).to.deep.equal([
                        400,
                        "invalid_focus",
                    ]);
                }
            }
        });
    });

    describe("cover around the point (renderVariant)", () => {
        let scene: Buffer;
        let whole: number;
        before(async () => {
            scene = await sceneWithSubject(1200, 800, 130, 400, 110);
            whole = await subjectPixels(await sharp(scene).resize({ width: 450 }).toBuffer());
        });
        const kept = async (options: { focus?: { x: number; y: number }; fit?: "cover" | "contain" }) => {
            const rendered = await renderVariant(scene, {
                width: 300,
                height: 300,
                fit: options.fit ?? "cover",
                gravity: "centre",
                ...(options.focus ? { focus: options.focus } : {}),
                quality: 80,
                limitInputPixels: 1e8,
            });
            const metadata = await sharp(rendered.bytes).metadata();
            expect([metadata.width, metadata.height]).to.deep.equal([300, 300]);
            return (await subjectPixels(rendered.bytes)) / whole;
        };

        it("keeps the subject the point names, where the centre cuts it", async () => {
            expect(await kept({})).to.be.below(0.2);
            expect(await kept({ focus: SUBJECT })).to.be.above(0.95);
        });

        it("a point on the other side cuts the subject as the centre does", async () => {
            expect(await kept({ focus: { x: 0.9, y: 0.5 } })).to.be.below(0.05);
        });

        it("the window is centred on the point, clamped to the edges", () => {
            // 1200x800 covering 300x300: scaled to 450x300, a 300-wide window.
            expect(
                focusCrop({ width: 1200, height: 800 }, { width: 300, height: 300 }, { x: 0.5, y: 0.5 }),
            ).to.deep.equal({ width: 450, height: 300, left: 75, top: 0 });
            expect(focusCrop({ width: 1200, height: 800 }, { width: 300, height: 300 }, { x: 0, y: 0 })).to.deep.equal({
                width: 450,
                height: 300,
                left: 0,
                top: 0,
            });
            expect(focusCrop({ width: 1200, height: 800 }, { width: 300, height: 300 }, { x: 1, y: 1 })).to.deep.equal({
                width: 450,
                height: 300,
                left: 150,
                top: 0,
            });
            expect(
                focusCrop({ width: 800, height: 1200 }, { width: 300, height: 100 }, { x: 0.5, y: 0.25 }),
            ).to.deep.equal({ width: 300, height: 450, left: 0, top: 63 });
        });

        it("changes nothing where nothing is cropped: contain, and a width alone", async () => {
            for (const [width, height, fit] of [
                [300, 300, "contain"],
                [600, 0, "cover"],
            ] as const) {
                const render = (focus?: { x: number; y: number }) =>
                    renderVariant(scene, {
                        width,
                        height,
                        fit,
                        ...(focus ? { focus } : {}),
                        quality: 80,
                        limitInputPixels: 1e8,
                    });
                expect(
                    (await render(SUBJECT)).bytes.equals((await render()).bytes),
                    `${width}x${height} ${fit}`,
                ).to.equal(true);
            }
        });
    });

    describe("signed into the upload (POST /uploads, POST /uploads/form)", () => {
        usePresignHarness();
        const jpeg = () => sceneWithSubject(120, 80, 13, 40, 11);

        it("a PUT URL signs x-amz-meta-focus as a header, and S3 stores it with the staged upload", async () => {
            const body = json(
                await handler()(httpEvent("POST", "/uploads", { body: { contentType: "image/jpeg", focus: SUBJECT } })),
            );
            expect(body.headers).to.deep.include({ "x-amz-meta-focus": "0.1083,0.5" });
            const query = new URL(body.uploadUrl).searchParams;
            expect(query.get("X-Amz-SignedHeaders")).to.equal("content-type;host;if-none-match;x-amz-meta-focus");
            const put = await fetch(body.uploadUrl, { method: "PUT", headers: body.headers, body: await jpeg() });
            expect(put.status, await put.clone().text()).to.equal(200);
            expect((await s3.head(staged(body.key)))?.Metadata).to.deep.equal({ focus: "0.1083,0.5" });
        });

        it("the PUT is refused (403) with another focus than the one signed, or without it", async () => {
            const body = json(
                await handler()(httpEvent("POST", "/uploads", { body: { contentType: "image/jpeg", focus: SUBJECT } })),
            );
            const bytes = await jpeg();
            const other = await fetch(body.uploadUrl, {
                method: "PUT",
                headers: { ...body.headers, "x-amz-meta-focus": "0.9,0.5" },
                body: bytes,
            });
            expect(other.status).to.equal(403);
            const { "x-amz-meta-focus": _, ...without } = body.headers;
            expect((await fetch(body.uploadUrl, { method: "PUT", headers: without, body: bytes })).status).to.equal(
                403,
            );
            expect(await s3.head(staged(body.key))).to.equal(undefined);
        });

        it("a POST policy pins the x-amz-meta-focus field: stored when sent as signed, refused (403) when changed", async () => {
            const body = json(
                await handler()(
                    httpEvent("POST", "/uploads/form", { body: { contentType: "image/jpeg", focus: SUBJECT } }),
                ),
            );
            expect(body.fields).to.include({ "x-amz-meta-focus": "0.1083,0.5" });
            const send = async (fields: Record<string, string>) => {
                const data = new FormData();
                for (const [name, value] of Object.entries(fields)) data.append(name, value);
                data.append("file", new Blob([new Uint8Array(await jpeg())], { type: "image/jpeg" }), "a.jpg");
                return fetch(body.uploadUrl, { method: "POST", body: data });
            };
            expect((await send({ ...body.fields, "x-amz-meta-focus": "0.9,0.5" })).status).to.equal(403);
            const good = await send(body.fields);
            expect(good.status, await good.clone().text()).to.equal(201);
            expect((await s3.head(staged(body.key)))?.Metadata).to.deep.equal({ focus: "0.1083,0.5" });
        });

        it("refuses a bad focus before signing anything: 400 invalid_focus", async () => {
            for (const path of ["/uploads", "/uploads/form"]) {
                const result = await handler()(
                    httpEvent("POST", path, { body: { contentType: "image/jpeg", focus: { x: 2, y: 0 } } }),
                );
                expect([result.statusCode, json(result).error.code], path).to.deep.equal([400, "invalid_focus"]);
            }
        });
    });
});
