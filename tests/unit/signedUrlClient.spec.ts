// The pieces around a signed URL that are not the signature: the private key read from its secret once per cold
// start (functions/presign/urlSigningKey.ts), and the client library's signedImageUrl (client/src/signedImageUrl.ts),
// which asks the route for a URL and checks the answer.
import { expect } from "chai";
import { generateKeyPairSync } from "crypto";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { secretSigningKey } from "../../functions/presign/urlSigningKey";
import { signCannedUrl } from "../../functions/shared/cloudfrontSignature";
import { HttpRequest, signedImageUrl, signedUrlNeedsRefresh, UploadError, uploadIdOfKey } from "../../client/src/index";

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

describe("the client's signedImageUrl (client/src/signedImageUrl.ts)", () => {
    const id = "7d0f8a6e-1a2b-4c3d-8e9f-0123456789ab";
    const url = signCannedUrl({
        url: `https://d111111abcdef8.cloudfront.net/300x300/uploads/${id}.jpg`,
        expiresAt: 1767290400,
        keyPairId: "K2JCJMDEHXQW5F",
        privateKey,
    });
    const answer = { url, expiresAt: "2026-01-01T18:00:00.000Z" };

    /** An Http that answers every request with `status` and `body`, recording the requests. */
    function answering(status: number, body: unknown) {
        const requests: HttpRequest[] = [];
        const http = async (request: HttpRequest) => {
            requests.push(request);
            const text = JSON.stringify(body);
            return { status, header: (name: string) => (/content-type/i.test(name) ? "application/json" : null), text };
        };
        return { requests, http };
    }

    it("reads the upload's id from its key (an owner's prefix is the JWT's, not the path's) and refuses other keys", () => {
        expect(uploadIdOfKey(`uploads/${id}.jpg`)).to.equal(id);
        expect(uploadIdOfKey(`uploads/auth0.7Calice/${id}.jpg`)).to.equal(id);
        expect(() => uploadIdOfKey(`300x300/uploads/${id}.jpg`)).to.throw(TypeError, /original key/);
        expect(() => uploadIdOfKey("uploads/../secret.jpg")).to.throw(TypeError);
    });

    it("asks GET <apiUrl>/uploads/<id>/url for the original, ?size=<W>x<H> for a variant, with the caller's headers", async () => {
        const fake = answering(200, answer);
        const headers = { authorization: "Bearer t" };
        expect(await signedImageUrl(`uploads/${id}.jpg`, { apiUrl: "/api/", headers, http: fake.http })).to.deep.equal(
            answer,
        );
        await signedImageUrl(`uploads/auth0.7Calice/${id}.jpg`, { apiUrl: "/api", width: 640, http: fake.http });
        await signedImageUrl(`uploads/${id}.jpg`, { apiUrl: "/api", width: 300, height: 300, http: fake.http });
        expect(fake.requests.map((request) => `${request.method} ${request.url}`)).to.deep.equal([
            `GET /api/uploads/${id}/url`,
            `GET /api/uploads/${id}/url?size=640x0`,
            `GET /api/uploads/${id}/url?size=300x300`,
        ]);
        expect(fake.requests[0].headers).to.deep.equal(headers);
    });

    it("rejects with the API's own reason (another user's id: 404 unknown_upload)", async () => {
        const fake = answering(404, { error: { code: "unknown_upload", message: "No upload with this id" } });
        const refused = await signedImageUrl(`uploads/${id}.jpg`, { apiUrl: "/api", http: fake.http }).catch((e) => e);
        expect(refused).to.be.instanceOf(UploadError);
        expect(refused).to.include({
            step: "sign",
            status: 404,
            code: "unknown_upload",
            message: "No upload with this id",
        });
    });

    it("refuses an answer whose URL does not expire when it says, or that has no URL", async () => {
        const late = answering(200, { ...answer, expiresAt: "2026-01-01T19:00:00.000Z" });
        await signedImageUrl(`uploads/${id}.jpg`, { apiUrl: "/api", http: late.http }).then(
            () => expect.fail("took a URL whose expiry differs from expiresAt"),
            (error) => expect(error.message).to.match(/expiry/),
        );
        const unsigned = answering(200, {
            url: `https://d111111abcdef8.cloudfront.net/uploads/${id}.jpg`,
            expiresAt: answer.expiresAt,
        });
        await signedImageUrl(`uploads/${id}.jpg`, { apiUrl: "/api", http: unsigned.http }).then(
            () => expect.fail("took an unsigned URL"),
            (error) => expect(error.message).to.match(/expiry/),
        );
        const empty = answering(200, {});
        await signedImageUrl(`uploads/${id}.jpg`, { apiUrl: "/api", http: empty.http }).then(
            () => expect.fail("took an answer without a url"),
            (error) => expect(error.message).to.match(/url and expiresAt/),
        );
    });

    it("asks again within a margin before expiry (CloudFront checks the expiry when the request arrives)", () => {
        const expiry = Date.parse(answer.expiresAt);
        expect(signedUrlNeedsRefresh(answer, expiry - 61_000)).to.equal(false);
        expect(signedUrlNeedsRefresh(answer, expiry - 60_000)).to.equal(true);
        expect(signedUrlNeedsRefresh(answer, expiry - 200_000, 300)).to.equal(true);
    });
});
