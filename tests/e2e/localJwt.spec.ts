import { expect } from "chai";
import { createPrivateKey, generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { localAuth, signJwt } from "../../local/localAuth";
import { awaitChecked, startTestPipeline } from "../support/localPipeline";
import { pngBytes } from "../support/images";

const ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example";
const AUDIENCE = "client-id-1";
const json = (response: Response): Promise<any> => response.json();
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

/**
 * Local mode with jwtIssuer: the upload routes check a JWT as the HTTP API's JWT authorizer does
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html, "Authorizing API
 * requests"), against local mode's own issuer key (local/localAuth.ts, local/jwtAuthorizer.ts).
 */
describe("local mode with jwtIssuer: JWTs checked as API Gateway's JWT authorizer does", function () {
    this.timeout(60_000);
    let pipeline: Awaited<ReturnType<typeof startTestPipeline>>;
    let auth: ReturnType<typeof localAuth>;
    let kid: string;
    const now = () => Math.floor(Date.now() / 1000);

    before(async () => {
        pipeline = await startTestPipeline({
            "image-pipeline:jwtIssuer": ISSUER,
            "image-pipeline:jwtAudience": AUDIENCE,
        });
        // The same data folder: the same issuer key as the running pipeline.
        auth = localAuth({ dataDir: pipeline.dataDir, issuer: ISSUER, audiences: [AUDIENCE] });
        kid = [...auth.authorizer.keys.keys()][0];
    });
    after(() => pipeline?.close());

    const api = (route: string, init: RequestInit & { token?: string } = {}) =>
        fetch(`${pipeline.url}/api${route}`, {
            ...init,
            headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...init.headers },
        });
    const signPut = (token?: string, headers: Record<string, string> = {}) =>
        api("/uploads", { method: "POST", body: JSON.stringify({ contentType: "image/png" }), token, headers });
    /** API Gateway's refusal: 401, {"message":"Unauthorized"}, the reason in www-authenticate. */
    const expectUnauthorized = async (response: Response, reason: RegExp) => {
        expect(response.status).to.equal(401);
        expect(await json(response)).to.deep.equal({ message: "Unauthorized" });
        expect(response.headers.get("www-authenticate")).to.match(reason);
    };

    it("keeps its issuer key in the data folder, readable by its user only", () => {
        const file = path.join(pipeline.dataDir, "local-jwt-issuer.pem");
        expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
        expect(createPrivateKey(fs.readFileSync(file)).asymmetricKeyType).to.equal("rsa");
    });

    it("no token → 401 on every route behind the authorizer; /resize stays open", async () => {
        const uuid = "7d0f8a6e-1a2b-4c3d-8e9f-0123456789ab";
        const routes: [string, string][] = [
            ["POST", "/uploads"],
            ["POST", "/uploads/form"],
            ["GET", "/uploads"],
            ["GET", `/uploads/${uuid}`],
            ["POST", "/uploads/grant"],
            ["GET", "/s3/params?type=image/png"],
            ["POST", "/s3/multipart"],
            ["GET", `/s3/multipart/x?key=incoming/a.png`],
        ];
        for (const [method, route] of routes)
            await expectUnauthorized(await api(route, { method }), /error="invalid_token"/);
        expect((await api("/resize?key=300x300/uploads/none.png")).status).to.not.equal(401);
    });

    it("a bad signature, another kid, an expired token, another issuer or audience, a future nbf or iat, alg HS256 → 401", async () => {
        const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
        const good = { sub: "alice", iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600 };
        const refused: [string, string, RegExp][] = [
            ["another key's signature", signJwt(otherKey, kid, good), /signature is not valid/],
            ["a kid the issuer does not have", signJwt(otherKey, "not-a-kid", good), /kid/],
            ["an expired token", auth.token({ ...good, exp: now() - 1 }), /expired/],
            ["expiring this second", auth.token({ ...good, exp: now() }), /expired/],
            ["no exp", auth.token({ ...good, exp: undefined }), /expired/],
            ["another issuer", auth.token({ ...good, iss: "https://issuer.example.com" }), /issuer/],
            ["another audience", auth.token({ ...good, aud: "someone-else" }), /audience/],
            ["a future nbf", auth.token({ ...good, nbf: now() + 120 }), /not valid yet/],
            ["a future iat", auth.token({ ...good, iat: now() + 120 }), /future/],
        ];
        const [header, payload, signature] = auth.token(good).split(".");
        const hs256 = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT", kid })).toString("base64url");
        refused.push(["alg HS256", `${hs256}.${payload}.${signature}`, /RSA/]);
        refused.push([
            "an altered payload",
            `${header}.${Buffer.from(JSON.stringify({ ...good, sub: "bob" })).toString("base64url")}.${signature}`,
            /signature/,
        ]);
        refused.push(["not a JWT", "abc.def", /not a JWT/]);
        for (const [name, token, reason] of refused) {
            const response = await signPut(token);
            expect(response.status, name).to.equal(401);
            await expectUnauthorized(response, reason);
        }
    });

    it("a good token → keys under the caller's sanitized sub; Bearer optional; client_id stands in for a missing aud; status only for its owner", async () => {
        const alice = auth.token({ sub: "auth0|alice" });
        const signed = await signPut(alice);
        expect(signed.status).to.equal(200);
        const { key, uploadUrl, headers, statusUrl } = await json(signed);
        expect(key).to.match(new RegExp(`^uploads/auth0\\.7Calice/${UUID}\\.png$`));
        expect((await fetch(uploadUrl, { method: "PUT", headers, body: await pngBytes() })).status).to.equal(200);
        // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html: the identity
        // source holds the token alone or prefixed with "Bearer".
        expect(
            (
                await api("/uploads", {
                    method: "POST",
                    body: '{"contentType":"image/png"}',
                    headers: { authorization: alice },
                })
            ).status,
        ).to.equal(200);
        expect((await signPut(auth.token({ sub: "carol", aud: undefined, client_id: AUDIENCE }))).status).to.equal(200);
        expect((await signPut(auth.token({ sub: "carol", aud: "other", client_id: AUDIENCE }))).status).to.equal(401);
        const status = await awaitChecked(statusUrl, { authorization: `Bearer ${alice}` });
        expect(status.status).to.equal("ready");
        // Another caller asks for the same id: its own prefix has no such upload.
        const bob = await fetch(statusUrl, { headers: { authorization: `Bearer ${auth.token({ sub: "bob" })}` } });
        expect(bob.status).to.equal(404);
    });

    it("POST /api/uploads/grant → an endpoint Uppy can use without a token; altered → 401 invalid_grant", async () => {
        const granted = await api("/uploads/grant", { method: "POST", token: auth.token({ sub: "alice" }) });
        expect(granted.status).to.equal(200);
        const { companionEndpoint } = await json(granted);
        expect(companionEndpoint).to.match(new RegExp(`^${pipeline.url}/api/g/[A-Za-z0-9_.-]+$`));
        const create = (endpoint: string) =>
            fetch(`${endpoint}/s3/multipart`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ type: "image/png", metadata: { size: 10 } }),
            });
        const created = await create(companionEndpoint);
        expect(created.status).to.equal(200);
        expect((await json(created)).key).to.match(new RegExp(`^incoming/alice/${UUID}\\.png$`));
        const altered = await create(`${companionEndpoint.slice(0, -1)}${companionEndpoint.endsWith("A") ? "B" : "A"}`);
        expect(altered.status).to.equal(401);
        expect((await json(altered)).error.code).to.equal("invalid_grant");
    });

    it("/local/token?sub= (local only) mints a token the routes take; no sub → 400", async () => {
        const minted = await fetch(`${pipeline.url}/local/token?sub=dave`);
        expect(minted.status).to.equal(200);
        const { token, localOnly } = await json(minted);
        expect(localOnly).to.equal(true);
        const signed = await signPut(token);
        expect((await json(signed)).key).to.match(/^uploads\/dave\//);
        const missing = await fetch(`${pipeline.url}/local/token`);
        expect(missing.status).to.equal(400);
        expect((await json(missing)).error.code).to.equal("invalid_subject");
    });

    it("without jwtIssuer there is no /local/token and no JWT is asked for", async () => {
        const open = await startTestPipeline();
        try {
            expect((await fetch(`${open.url}/local/token?sub=x`)).status).to.equal(404);
            const signed = await fetch(`${open.url}/api/uploads`, {
                method: "POST",
                body: '{"contentType":"image/png"}',
            });
            expect((await json(signed)).key).to.match(new RegExp(`^uploads/${UUID}\\.png$`));
        } finally {
            await open.close();
        }
    });
});
