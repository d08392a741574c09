// The upload API's own signing routes: POST /uploads (a presigned PUT), GET /uploads (the same for the seed article's
// client: type and size in headers, answer { presignedUrl, key }) and POST /uploads/form (a presigned POST).
import { headerValue, HttpError, HttpEvent, methodNotAllowed, RouteAnswer } from "../shared/http";
import type { PresignSettings } from "./settings";
import {
    DECLARED_SIZE_HEADER,
    sizeFromHeader,
    typeForExtension,
    UploadLimits,
    uploadRequestFromBody,
} from "./uploadRequest";
import type { UploadSigner } from "./uploadSigning";

export interface UploadRouteDeps {
    settings: PresignSettings;
    limits: UploadLimits;
    signer: UploadSigner;
}

/** Where a PUT's size may be declared, as the missing_size answer says. */
const DECLARE_SIZE = `: "size" in the JSON body, or the ${DECLARED_SIZE_HEADER} header`;

/** Answers /uploads and /uploads/form (the router sends only those paths here). */
export function uploadRoutes(
    deps: UploadRouteDeps,
): (event: HttpEvent, method: string, path: string) => Promise<RouteAnswer> {
    const { settings, limits, signer } = deps;
    const cdnUrlOf = (key: string) => `${settings.cdnUrl}/${key}`;

    return async (event, method, path) => {
        if (path === "/uploads/form") {
            if (method !== "POST") throw methodNotAllowed("POST");
            const body = uploadRequestFromBody(event);
            limits.checkedSize(body.size); // the policy's content-length-range caps the size either way
            const signed = await signer.signPost(limits.allowed(body.contentType), event, body.focus);
            return { status: 200, body: { ...signed, url: cdnUrlOf(signed.key) } };
        }
        if (method === "POST") {
            const body = uploadRequestFromBody(event);
            const type = limits.allowed(body.contentType);
            const size = limits.checkedSize(body.size);
            limits.requireSize(size, DECLARE_SIZE);
            const signed = await signer.signPut(type, size, event, body.focus);
            return { status: 200, body: { ...signed, method: "PUT", url: cdnUrlOf(signed.key) } };
        }
        if (method === "GET") {
            const extension = headerValue(event, "x-extension");
            // The client of seed article 000: type from the x-extension header, answer { presignedUrl, key }.
            if (!extension)
                throw new HttpError(400, "missing_type", "Send the file extension in the x-extension header");
            const type = limits.allowed(typeForExtension(extension));
            const size = limits.checkedSize(sizeFromHeader(event));
            limits.requireSize(size, DECLARE_SIZE);
            const signed = await signer.signPut(type, size, event);
            return {
                status: 200,
                body: {
                    presignedUrl: signed.uploadUrl,
                    key: signed.key,
                    statusUrl: signed.statusUrl,
                    headers: signed.headers,
                    expiresAt: signed.expiresAt,
                    url: cdnUrlOf(signed.key),
                },
            };
        }
        throw methodNotAllowed("GET, POST");
    };
}
