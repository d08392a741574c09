// Local mode with privateDelivery: the key pair that signs image URLs, made on first use in the data folder (as
// the stack makes its own with the tls provider, infra/delivery/urlSigningKey.ts). The presign handler signs with
// its private key; the local CDN trusts its public key under the ID below, as a distribution trusts its key group.
// A URL signed here is worth nothing on AWS, and one signed there nothing here.
import { createHash, createPublicKey, generateKeyPairSync, KeyObject } from "crypto";
import * as path from "path";
import { rsaPrivateKey } from "../functions/presign/urlSigningKey";
import { keptSecret } from "./keptSecret";

const KEY_FILE = "url-signing-key.pem";

export interface UrlSigningKeyPair {
    /** Shaped like a CloudFront public key's ID ("K" and 13 upper-case letters and digits), from the key itself. */
    keyPairId: string;
    privateKey: KeyObject;
    publicKey: KeyObject;
}

export function localUrlSigningKeyPair(dataDir: string): UrlSigningKeyPair {
    const pem = keptSecret(path.join(dataDir, KEY_FILE), () =>
        Buffer.from(
            generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }),
        ),
    );
    const privateKey = rsaPrivateKey(pem.toString("utf8"));
    const publicKey = createPublicKey(privateKey);
    return { keyPairId: localKeyPairId(publicKey), privateKey, publicKey };
}

/** A key's ID: "K" and the first 13 characters of its SPKI's SHA-256 in base 32 (A–Z, 2–7). */
function localKeyPairId(publicKey: KeyObject): string {
    const digest = createHash("sha256")
        .update(publicKey.export({ type: "spki", format: "der" }))
        .digest();
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits = "";
    for (const byte of digest.subarray(0, 9)) bits += byte.toString(2).padStart(8, "0");
    const chars = Array.from({ length: 13 }, (_, i) => alphabet[parseInt(bits.slice(i * 5, i * 5 + 5), 2)]);
    return `K${chars.join("")}`;
}
