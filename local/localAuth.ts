// Local mode with `jwtIssuer` set: it plays the issuer as well as the authorizer, offline. An RS256 key pair kept
// in the data folder signs tokens for the configured issuer and (first) audience, and local/jwtAuthorizer.ts checks
// them as API Gateway would, with this key as the issuer's only key: a token from the real issuer does not verify
// here, and one made here is worth nothing on AWS. The key that signs upload grants (functions/presign/grantKey.ts
// derives it from KMS on AWS) is a random one in the data folder. Both are made on first use, readable by this user
// only, and gone with `npm start -- --reset`.
//
// GET /local/token?sub=<subject> hands out a token (valid one hour): LOCAL MODE ONLY, for the example pages, curl
// and the specs. The stack has no such route; on AWS, tokens come from your identity provider.
import {
    createHash,
    createPrivateKey,
    createPublicKey,
    generateKeyPairSync,
    KeyObject,
    randomBytes,
    sign,
} from "crypto";
import * as path from "path";
import { errorJson, HttpResult, jsonResult } from "../functions/shared/http";
import type { JwtAuthorizerConfig } from "./jwtAuthorizer";
import { keptSecret } from "./keptSecret";

export const LOCAL_TOKEN_PATH = "/local/token";
const ISSUER_KEY_FILE = "local-jwt-issuer.pem";
const GRANT_KEY_FILE = "upload-grant.key";
const TOKEN_LIFETIME_SECONDS = 3600;
const MAX_SUBJECT_LENGTH = 256;

export interface LocalAuth {
    /** What local/jwtAuthorizer.ts checks tokens against. */
    authorizer: JwtAuthorizerConfig;
    /** A token for these claims (iss, aud, iat and exp are set unless given), signed with the local issuer key. */
    token(claims: Record<string, unknown>): string;
    /** The upload grant signing key. */
    grantKey(): Promise<Buffer>;
    /** GET /local/token?sub=: { token, expiresAt } or 400. */
    tokenResult(rawQuery: string): HttpResult;
}

export function localAuth(options: {
    dataDir: string;
    issuer: string;
    audiences: string[];
    now?: () => number;
}): LocalAuth {
    const now = options.now ?? Date.now;
    const privateKey = createPrivateKey(
        keptSecret(path.join(options.dataDir, ISSUER_KEY_FILE), () =>
            Buffer.from(
                generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }),
            ),
        ),
    );
    const publicKey = createPublicKey(privateKey);
    const kid = keyId(publicKey);
    const grantKey = keptSecret(path.join(options.dataDir, GRANT_KEY_FILE), () => randomBytes(32));
    const token = (claims: Record<string, unknown>) => {
        const issuedAt = Math.floor(now() / 1000);
        return signJwt(privateKey, kid, {
            iss: options.issuer,
            aud: options.audiences[0],
            iat: issuedAt,
            exp: issuedAt + TOKEN_LIFETIME_SECONDS,
            ...claims,
        });
    };
    return {
        authorizer: { issuer: options.issuer, audiences: options.audiences, keys: new Map([[kid, publicKey]]), now },
        token,
        grantKey: async () => grantKey,
        tokenResult(rawQuery) {
            const sub = new URLSearchParams(rawQuery).get("sub");
            if (!sub || sub.length > MAX_SUBJECT_LENGTH)
                return errorJson(
                    400,
                    "invalid_subject",
                    `Name the subject as ?sub= (1 to ${MAX_SUBJECT_LENGTH} characters)`,
                );
            const expiresAt = new Date((Math.floor(now() / 1000) + TOKEN_LIFETIME_SECONDS) * 1000).toISOString();
            return jsonResult(200, { token: token({ sub }), expiresAt, localOnly: true });
        },
    };
}

/** A compact JWS (RFC 7515) over these claims, RS256 with this key. */
export function signJwt(privateKey: KeyObject, kid: string, claims: Record<string, unknown>): string {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const signed = `${encode({ alg: "RS256", typ: "JWT", kid })}.${encode(claims)}`;
    return `${signed}.${sign("sha256", Buffer.from(signed), privateKey).toString("base64url")}`;
}

/** A key's id: the start of its SPKI's SHA-256, as a JWKS kid. */
export function keyId(publicKey: KeyObject): string {
    return createHash("sha256")
        .update(publicKey.export({ type: "spki", format: "der" }))
        .digest("base64url")
        .slice(0, 16);
}
