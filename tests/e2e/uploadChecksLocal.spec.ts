// Issue 14 end to end against the real `npm start` process: every upload is checked, cleaned and announced
// before anyone can fetch it. The CDN never serves the staging prefix; a refused upload leaves nothing behind.
import { expect } from "chai";
import sharp from "sharp";
import { orientationExif } from "../../functions/ingest/minimalExif";
import { awaitChecked } from "../support/localPipeline";
import { exifHasGps, jpegWithGps } from "../support/images";
import { LocalProcess, startLocalProcess } from "../support/localProcess";

describe("upload checks end to end (npm start: presign → staging → ingest → uploads/)", function () {
    this.timeout(120_000);
    let server: LocalProcess;
    before(async () => {
        server = await startLocalProcess();
    });
    after(() => server?.stop());

    const sign = async (contentType: string) => {
        const response = await fetch(`${server.url}/api/uploads`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ contentType }),
        });
        expect(response.status).to.equal(200);
        return (await response.json()) as {
            key: string;
            statusUrl: string;
            uploadUrl: string;
            headers: Record<string, string>;
        };
    };
    const cdn = (key: string) => fetch(`${server.url}/cdn/${key}`);

    it("a JPEG with GPS EXIF → ready; the CDN never served the staged object; the served original has no GPS", async () => {
        const photo = await jpegWithGps(60, 40);
        expect(exifHasGps((await sharp(photo).metadata()).exif), "the upload carries GPS").to.equal(true);
        const signed = await sign("image/jpeg");
        expect(signed.key).to.match(/^uploads\/[0-9a-f-]{36}\.jpg$/);
        expect(new URL(signed.uploadUrl).pathname).to.match(/\/incoming\/[0-9a-f-]{36}\.jpg$/);
        const stagedKey = signed.key.replace(/^uploads\//, "incoming/");
        const put = await fetch(signed.uploadUrl, { method: "PUT", headers: signed.headers, body: photo });
        expect(put.status).to.equal(200);
        const staged = await cdn(stagedKey); // at once: before, during or after the check, never served
        expect(staged.status).to.equal(403); // the bucket policy denies CloudFront incoming/*
        const status = await awaitChecked(signed.statusUrl);
        expect(status).to.include({ status: "ready", key: signed.key, width: 40, height: 60, format: "jpeg" });
        expect(status.variants).to.deep.equal(
            ["300x300", "640x480", "1280x720"].map((size) => `${size}/${signed.key}`),
        );
        expect((await cdn(stagedKey)).status, "after the check").to.equal(403);
        const id = signed.key.slice("uploads/".length, -".jpg".length);
        expect((await cdn(`status/${id}.json`)).status, "statuses are not the CDN's").to.equal(403);
        const original = await cdn(signed.key);
        expect(original.status).to.equal(200);
        const metadata = await sharp(Buffer.from(await original.arrayBuffer())).metadata();
        // EXIF is the orientation tag alone (issue 27: the pixels are kept, not re-encoded to apply it).
        expect(metadata.exif?.equals(orientationExif(6)), "no EXIF but the orientation").to.equal(true);
        expect([metadata.autoOrient?.width, metadata.autoOrient?.height]).to.deep.equal([40, 60]);
        expect((await cdn(`300x300/${signed.key}`)).status).to.equal(200);
    });

    it("a text file labelled image/jpeg → rejected with its reason; nothing under uploads/, nothing left staged", async () => {
        const signed = await sign("image/jpeg");
        const put = await fetch(signed.uploadUrl, {
            method: "PUT",
            headers: signed.headers,
            body: "this is not a picture, it only says so\n",
        });
        expect(put.status).to.equal(200);
        const status = await awaitChecked(signed.statusUrl);
        expect(status.status).to.equal("rejected");
        expect(status.error.code).to.equal("not_an_allowed_image");
        expect(status.error.message).to.match(/not one of the allowed image types/);
        expect((await cdn(signed.key)).status).to.be.oneOf([403, 404]);
        expect((await cdn(`300x300/${signed.key}`)).status).to.be.oneOf([403, 404]);
        expect(server.alive(), server.output()).to.equal(true);
    });

    it("GET /api/uploads/<id>: 404 JSON for an unknown id, 400 for a malformed one (not echoed)", async () => {
        const unknown = await fetch(`${server.url}/api/uploads/00000000-0000-4000-8000-000000000000`);
        expect(unknown.status).to.equal(404);
        expect(((await unknown.json()) as { error: { code: string } }).error.code).to.equal("unknown_upload");
        const malformed = await fetch(`${server.url}/api/uploads/%3Cscript%3E`);
        expect(malformed.status).to.equal(400);
        const text = await malformed.text();
        expect(JSON.parse(text).error.code).to.equal("invalid_id");
        expect(text).to.not.include("<script>");
    });
});
