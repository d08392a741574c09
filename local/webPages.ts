// The upload pages in local mode: the files of web/, the page's config (/config.json, from the stack config), the
// Uppy example page's bundle (local/uppyBundle.ts), built from the npm packages when first asked for, and the client
// library the upload page runs on (local/clientBundle.ts).
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import type { PipelineConfig } from "../config/configKeys";
import { errorJson } from "../functions/shared/http";
import { sendHttpResult } from "../functions/shared/httpEvent";
import { clientBundler } from "./clientBundle";
import { uppyBundler } from "./uppyBundle";

const WEB_DIR = path.resolve(__dirname, "..", "web");
const WEB_FILES: Record<string, [string, string]> = {
    "/": ["index.html", "text/html; charset=utf-8"],
    "/app.js": ["app.js", "text/javascript; charset=utf-8"],
    "/gallery.js": ["gallery.js", "text/javascript; charset=utf-8"],
    "/page.js": ["page.js", "text/javascript; charset=utf-8"],
    "/style.css": ["style.css", "text/css; charset=utf-8"],
    // The placeholder decoder, served from the installed package, never copied into web/.
    "/vendor/thumbhash.js": [require.resolve("thumbhash"), "text/javascript; charset=utf-8"],
    "/uppy.html": ["uppy.html", "text/html; charset=utf-8"],
};

export interface WebPages {
    /** web/'s files and /config.json; resolves with the status sent. */
    page(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): number;
    /** /uppy/uppy.js, /uppy/uppy.css and /client/index.js. */
    bundledAsset(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<number>;
}

export function webPages(config: PipelineConfig, tokenUrl: string | undefined): WebPages {
    const pageConfig = JSON.stringify({
        allowedResolutions: config.allowedResolutions,
        maxResizeDimension: config.maxResizeDimension,
        allowedContentTypes: config.allowedContentTypes,
        maxUploadBytes: config.maxUploadBytes,
        apiBase: "/api",
        cdnBase: "/cdn",
        // The upload routes want a JWT: the pages get one from /local/token (local mode only).
        tokenUrl,
        // Images need signed URLs: the page asks the API for each (GET /uploads/<id>/url, web/gallery.js).
        privateDelivery: config.privateDelivery,
    });
    const uppyBundle = uppyBundler();
    const clientBundle = clientBundler();
    return {
        page(req, res, pathname) {
            if (pathname === "/config.json") {
                res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
                res.end(pageConfig);
                return 200;
            }
            const file = WEB_FILES[pathname];
            if (!file || (req.method !== "GET" && req.method !== "HEAD")) {
                sendHttpResult(res, errorJson(404, "not_found", "Not found"));
                return 404;
            }
            const content = fs.readFileSync(path.resolve(WEB_DIR, file[0]));
            res.writeHead(200, {
                "content-type": file[1],
                "cache-control": "no-cache",
                "x-content-type-options": "nosniff",
            });
            res.end(req.method === "HEAD" ? undefined : content);
            return 200;
        },
        async bundledAsset(req, res, pathname) {
            const type = {
                "/uppy/uppy.js": "text/javascript",
                "/uppy/uppy.css": "text/css",
                "/client/index.js": "text/javascript",
            }[pathname];
            if (!type || (req.method !== "GET" && req.method !== "HEAD")) {
                sendHttpResult(res, errorJson(404, "not_found", "Not found"));
                return 404;
            }
            const content =
                pathname === "/client/index.js"
                    ? await clientBundle()
                    : pathname.endsWith(".js")
                      ? (await uppyBundle()).js
                      : (await uppyBundle()).css;
            res.writeHead(200, {
                "content-type": `${type}; charset=utf-8`,
                "cache-control": "no-cache",
                "x-content-type-options": "nosniff",
            });
            res.end(req.method === "HEAD" ? undefined : content);
            return 200;
        },
    };
}
