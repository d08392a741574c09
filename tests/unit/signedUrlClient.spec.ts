// The pieces around a signed URL that are not the signature: the private key read from its secret once per cold
// start (functions/presign/urlSigningKey.ts), and the browser-safe client helper the client library's
// signedImageUrl is to be built on (functions/shared/signedImageUrl.ts).
import { expect } from "chai";
import { generateKeyPairSync } from "crypto";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { secretSigningKey } from "../../functions/presign/urlSigningKey";
import { signCannedUrl } from "../../functions/shared/cloudfrontSignature";
import {
    parseSignedImageUrl,
    signedUrlNeedsRefresh,
    signedUrlPath,
    uploadIdOfKey,
} from "../../functions/shared/signedImageUrl";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PEM = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:url-signing-secret-AbCdEf";

/** A Secrets Manager client that answers from a list, recording each call. */
function fakeSecrets(answers: Array<() => Promise<{ SecretString?: string }>>) {
    const calls: string[] = [];
    return {
        calls,
        client: {
            send: async (command: GetSecretValueCommand) => {
                calls.push(String(command.input.SecretId));
                const next = answers.shift();
                if (!next) throw new Error("no more answers");
                return next();
            },
        } as never,
    };
}

describe("the URL signing key, read from its secret (functions/presign/urlSigningKey.ts)", () => {
    it("reads the secret once, on the first signing, and keeps the key for the instance's life", async () => {
        const secrets = fakeSecrets([async () => ({ SecretString: PEM })]);
        const source = secretSigningKey(secrets.client, SECRET_ARN);
        expect(secrets.calls).to.deep.equal([]);
        const [a, b] = await Promise.all([source(), source()]);
        const c = await source();
        expect(a.asymmetricKeyType).to.equal("rsa");
        expect(b).to.equal(a);
        expect(c).to.equal(a);
        expect(secrets.calls).to.deep.equal([SECRET_ARN]);
    });

    it("a failed read fails that request and is tried again by the next; a secret that is no RSA key is said at once", async () => {
        const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
        const secrets = fakeSecrets([() => Promise.reject(throttled), async () => ({ SecretString: PEM })]);
        const source = secretSigningKey(secrets.client, SECRET_ARN);
        let error: unknown;
        await source().catch((thrown) => {
            error = thrown;
        });
        expect(error).to.equal(throttled);
        expect((await source()).asymmetricKeyType).to.equal("rsa");
        expect(secrets.calls).to.have.length(2);

        const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({
            type: "pkcs8",
            format: "pem",
        }) as string;
        for (const [what, answer] of [
            ["an EC key", { SecretString: ec }],
            ["no SecretString", {}],
        ] as const) {
            const source2 = secretSigningKey(fakeSecrets([async () => answer]).client, SECRET_ARN);
            let refused: unknown;
            await source2().catch((thrown) => {
                refused = thrown;
            });
            expect(String(refused), what).to.match(
                /URL signing (key is not an RSA private key|secret holds no SecretString)/,
            );
        }
    });
});

describe("the client helper (functions/shared/signedImageUrl.ts)", () => {
    const url = signCannedUrl({
        url: "https://d111111abcdef8.cloudfront.net/300x300/uploads/7d0f8a6e-1a2b-4c3d-8e9f-0123456789ab.jpg",
        expiresAt: 1767290400,
        keyPairId: "K2JCJMDEHXQW5F",
        privateKey,
    });

    it("names the route for an upload's original or a size, from the upload's key (an owner's prefix is the JWT's, not the path's)", () => {
        const id = "7d0f8a6e-1a2b-4c3d-8e9f-0123456789ab";
        expect(uploadIdOfKey(`uploads/${id}.jpg`)).to.equal(id);
        expect(uploadIdOfKey(`uploads/auth0.7Calice/${id}.jpg`)).to.equal(id);
        expect(uploadIdOfKey(`300x300/uploads/${id}.jpg`)).to.equal(undefined);
        expect(signedUrlPath(id)).to.equal(`/uploads/${id}/url`);
        expect(signedUrlPath(id, "640x480")).to.equal(`/uploads/${id}/url?size=640x480`);
    });

    it("takes an answer whose URL expires when it says, and refuses one that does not", () => {
        const answer = { url, expiresAt: "2026-01-01T18:00:00.000Z" };
        expect(parseSignedImageUrl(answer)).to.deep.equal(answer);
        expect(() => parseSignedImageUrl({ ...answer, expiresAt: "2026-01-01T19:00:00.000Z" })).to.throw(/expiry/);
        expect(() =>
            parseSignedImageUrl({ url: "https://d111111abcdef8.cloudfront.net/a.jpg", expiresAt: answer.expiresAt }),
        ).to.throw(/expiry/);
        expect(() => parseSignedImageUrl({ error: { code: "unknown_upload" } })).to.throw(/url and expiresAt/);
    });

    it("asks again within a margin before expiry (CloudFront checks the expiry when the request arrives)", () => {
        const signed = { url, expiresAt: "2026-01-01T18:00:00.000Z" };
        const expiry = Date.parse(signed.expiresAt);
        expect(signedUrlNeedsRefresh(signed, expiry - 61_000)).to.equal(false);
        expect(signedUrlNeedsRefresh(signed, expiry - 60_000)).to.equal(true);
        expect(signedUrlNeedsRefresh(signed, expiry - 200_000, 300)).to.equal(true);
    });
});
