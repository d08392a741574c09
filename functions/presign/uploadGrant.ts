// An upload grant: what a caller with a JWT trades it for, so that a client which cannot send an Authorization
// header can still upload as that caller. @uppy/aws-s3 6 is such a client: its companionEndpoint requests carry only
// method, body and content-type (its src/s3-client/CompanionS3.ts; "Removed options: endpoint, headers" in its 6.0.0
// release notes). The grant travels in the endpoint's path instead (<api>/g/<grant>/s3/...).
//
// A grant names the caller's key prefix (the sanitized JWT `sub`, uploadOwner.ts sanitizeSubject) and when it ends, and
// is signed with HMAC-SHA256 under a key only the presign function holds (functions/presign/grantKey.ts): changing
// any byte, or its owner or expiry, makes it invalid. It is a bearer token for the upload routes of one prefix, so
// it lives no longer than an upload URL does (uploadExpiresIn).
//
// Form: <payload>.<mac>, both base64url (one path segment): payload = {"v":1,"o":"<owner>","x":<expiry, seconds>}.
import { createHmac, timingSafeEqual } from "crypto";
import { HttpError } from "../shared/http";

export interface UploadGrant {
    /** The caller's key prefix segment: a sanitized JWT subject (letters, digits, _, -, and . escapes). */
    owner: string;
    /** Seconds since the epoch after which the grant is refused. */
    expiresAt: number;
}

/** The path a grant's routes live under: /g/<grant>/s3/... */
export const GRANT_PATH = "/g/";
/** Domain separation: this key's HMACs over anything else never read as a grant. */
const MAC_CONTEXT = "image-pipeline upload grant v1\n";
const OWNER_PATTERN = /^[A-Za-z0-9_.-]{1,203}$/;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,400}\.[A-Za-z0-9_-]{43}$/;

export function signGrant(key: Buffer, grant: UploadGrant): string {
    if (!OWNER_PATTERN.test(grant.owner)) throw new Error("a grant's owner is a sanitized subject");
    const payload = Buffer.from(JSON.stringify({ v: 1, o: grant.owner, x: grant.expiresAt })).toString("base64url");
    return `${payload}.${mac(key, payload).toString("base64url")}`;
}

/** The grant a token carries, or 401: not one this key signed (altered, made up) or past its expiry. */
export function verifyGrant(key: Buffer, token: string, nowMs: number): UploadGrant {
    const invalid = new HttpError(
        401,
        "invalid_grant",
        "The upload grant is not valid (altered, or not made by this API); get a new one from POST /uploads/grant",
    );
    if (!TOKEN_PATTERN.test(token)) throw invalid;
    const [payload, signature] = token.split(".");
    // Compared as text, not decoded: base64url's last character of a 32-byte MAC has two bits no decoder reads, so
    // a decoded comparison would take four spellings of one signature (an "altered" grant that still verifies).
    const given = Buffer.from(signature);
    const expected = Buffer.from(mac(key, payload).toString("base64url"));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
    const { v, o, x } = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    if (v !== 1 || typeof o !== "string" || !OWNER_PATTERN.test(o) || typeof x !== "number") throw invalid;
    if (nowMs >= x * 1000)
        throw new HttpError(
            401,
            "grant_expired",
            "The upload grant has expired; get a new one from POST /uploads/grant (an unfinished upload resumes with it)",
        );
    return { owner: o, expiresAt: x };
}

/** A /g/<grant>/... path split into its grant and the route under it ("/s3/..."); undefined for other paths. */
export function grantPath(path: string): { token: string; rest: string } | undefined {
    if (!path.startsWith(GRANT_PATH)) return undefined;
    const at = path.indexOf("/", GRANT_PATH.length);
    if (at < 0) return { token: path.slice(GRANT_PATH.length), rest: "/" };
    return { token: path.slice(GRANT_PATH.length, at), rest: path.slice(at) };
}

/** A path as logs may show it: a grant is a credential, so it never reaches a log line. */
export function redactGrant(path: string): string {
    const split = grantPath(path);
    return split ? `${GRANT_PATH}…${split.rest}` : path;
}

function mac(key: Buffer, payload: string): Buffer {
    return createHmac("sha256", key).update(MAC_CONTEXT).update(payload).digest();
}
