import { expect } from "chai";
import * as http from "http";
import { AddressInfo } from "net";
import { createCdn } from "../local/cdn";
import { HttpEvent, jsonResult } from "../functions/http";

describe("local CDN emulation (local/cdn.ts)", () => {
    it("keeps the Resizer's redirect for a too-big variant under its own path", async () => {
        const missing = { send: async () => { throw Object.assign(new Error("missing"), { name: "NoSuchKey" }); } };
        const seen: HttpEvent[] = [];
        const cdn = createCdn({
            s3: missing as never, bucket: "b", basePath: "/cdn",
            resize: async (event) => {
                seen.push(event);
                return jsonResult(307, { location: `/${event.rawPath.slice(1)}` }, { location: `/${event.rawPath.slice(1)}` });
            },
        });
        const server = http.createServer((req, res) => void cdn.handle(req, res, req.url!.slice(4)));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        try {
            const { port } = server.address() as AddressInfo;
            const response = await fetch(`http://127.0.0.1:${port}/cdn/2048x2048/uploads/big.png`, { redirect: "manual" });
            expect(response.status).to.equal(307);
            expect(response.headers.get("location")).to.equal("/cdn/2048x2048/uploads/big.png");
            expect(response.headers.get("cache-control")).to.equal("no-store");
            expect(seen.map((e) => e.rawPath)).to.deep.equal(["/2048x2048/uploads/big.png"]);
        } finally {
            server.close();
        }
    });
});
