// Whose upload it is: with a JWT authorizer every key goes under its caller's own prefix ("<owner>/"), from the
// JWT's subject, or from an upload grant's owner under /g/<grant>/ (grantRoutes.ts). Without one there is no owner.
import { createHash } from "crypto";
import { HttpError, HttpEvent } from "../shared/http";

/** The caller's key prefix: "" without auth; `granted` (an upload grant's owner) when given; else the JWT's
 *  sanitized subject, 401 without one. */
export function ownerSegment(event: HttpEvent, requireAuth: boolean, granted?: string): string {
    if (!requireAuth) return "";
    if (granted !== undefined) return granted;
    const sub = event.requestContext.authorizer?.jwt?.claims?.sub;
    if (typeof sub !== "string" || sub === "") {
        throw new HttpError(401, "unauthorized", "A valid JWT with a subject is required");
    }
    return `${sanitizeSubject(sub)}/`;
}

/**
 * A JWT subject as one key segment: letters, digits, _ and - stay, any other byte becomes .XX (upper-case hex),
 * so two different subjects never share a prefix ("auth0|a" → "auth0.7Ca"). A very long subject becomes
 * h.<sha256 in lower-case hex>, which the escaping above can never produce.
 */
export function sanitizeSubject(sub: string): string {
    const escaped = Array.from(Buffer.from(sub, "utf8"), (byte) => {
        const char = String.fromCharCode(byte);
        return /[A-Za-z0-9_-]/.test(char) ? char : `.${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }).join("");
    return escaped.length <= 200 ? escaped : `h.${createHash("sha256").update(sub).digest("hex")}`;
}
