// privateDelivery under the mocks (infra/delivery/urlSigningKey.ts, index.ts): a CloudFront public key in a key group
// every image behaviour trusts (never the legacy root-account key pairs), the private key in a Secrets Manager secret
// under a KMS key of its own, and the signing function's role alone able to read it (by policy evaluation). A
// default stack has none of it.
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PrivateContent.html
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
import { expect } from "chai";
import { createPublicKey } from "crypto";
import { SIGNED_URL_ROUTE } from "../../functions/presign/apiRoutes";
import { decodePresignSettings } from "../../functions/presign/settings";
import { decodeResizeSettings } from "../../functions/resize/settings";
import { defaultKeyPolicy, Decision, evaluate, rolePolicyOf } from "../support/iamEvaluation";
import { INGEST_FAILURE_ROLE, INGEST_ROLE, PRESIGN_ROLE, RESIZER_ROLE } from "../support/iamStacks";
import { MOCK_REGION, mockKeyPair, secretInputsOf } from "../support/pulumiMocks";
import { ProgramRun, runProgram } from "../support/program";

const PRIVATE = { "image-pipeline:privateDelivery": "true" };
const PUBLIC_KEY = "aws:cloudfront/publicKey:PublicKey";
const KEY_GROUP = "aws:cloudfront/keyGroup:KeyGroup";
const SECRET = "aws:secretsmanager/secret:Secret";
const SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion";
const TLS_KEY = "tls:index/privateKey:PrivateKey";
const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
const ROUTE = "aws:apigatewayv2/route:Route";
const FUNCTION = "aws:lambda/function:Function";
const CLEANUP_ROLE = "cleanup-handler-role";

/** Every behaviour of the distribution: the default one and each ordered one, with its path pattern. */
function behaviours(
    run: ProgramRun,
): Array<{ pathPattern: string; targetOriginId: string; trustedKeyGroups?: unknown }> {
    const d = run.one(DISTRIBUTION).inputs;
    return [{ ...d.defaultCacheBehavior, pathPattern: "(default)" }, ...d.orderedCacheBehaviors];
}

describe("privateDelivery under the mocks: key pair, key group on every behaviour, secret readable by one role", () => {
    let privateRun: ProgramRun;
    let publicRun: ProgramRun;
    before(async () => {
        privateRun = await runProgram(PRIVATE);
        publicRun = await runProgram();
    });

    describe("a private stack", () => {
        it("makes an RSA 2048 key pair (tls provider) and a CloudFront public key from it, in one key group", () => {
            expect(privateRun.one(TLS_KEY).inputs).to.include({ algorithm: "RSA", rsaBits: 2048 });
            const publicKey = privateRun.one(PUBLIC_KEY);
            expect(publicKey.inputs.encodedKey).to.equal(mockKeyPair().publicKeyPem);
            expect(createPublicKey(publicKey.inputs.encodedKey).asymmetricKeyType).to.equal("rsa");
            expect(privateRun.one(KEY_GROUP).inputs.items).to.deep.equal([`${publicKey.name}-id`]);
        });

        it("trusts the key group on every behaviour: originals, variants (the origin group failing over to the Resizer) and the default", () => {
            const keyGroup = privateRun.one(KEY_GROUP);
            const all = behaviours(privateRun);
            const d = privateRun.one(DISTRIBUTION).inputs;
            const originGroup = d.originGroups[0].originId;
            expect(
                all.some((b) => b.targetOriginId === originGroup),
                "a variant behaviour",
            ).to.equal(true);
            expect(
                all.some((b) => b.pathPattern.startsWith("uploads/")),
                "the originals' behaviour",
            ).to.equal(true);
            for (const behaviour of all) {
                expect(behaviour.trustedKeyGroups, behaviour.pathPattern).to.deep.equal([`${keyGroup.name}-id`]);
                expect(behaviour, behaviour.pathPattern).to.not.have.property("trustedSigners");
            }
        });

        it("keeps the private key as a secret: in Secrets Manager, under a KMS key of its own, sent to the state encrypted", () => {
            const secret = privateRun.one(SECRET);
            const kmsKey = privateRun.ofType("aws:kms/key:Key").find((key) => key.name === "url-signing-secret-key")!;
            expect(kmsKey.inputs).to.include({ enableKeyRotation: true });
            expect(secret.inputs.kmsKeyId).to.equal(kmsKey.state.arn);
            const version = privateRun.one(SECRET_VERSION);
            expect(version.inputs.secretId).to.equal(`${secret.name}-id`);
            // A Pulumi secret on the wire (kept encrypted in the state): the marker and the PEM inside it.
            expect(secretInputsOf.get(version.name)).to.include("secretString");
            expect(version.inputs.secretString.value).to.equal(mockKeyPair().privateKeyPem);
        });

        it("gives the upload function the key's ID and the secret's ARN, and GET /uploads/{id}/url; no GET /resize", () => {
            const handler = privateRun.ofType(FUNCTION).find((f) => f.name === "uploads-handler")!;
            const settings = decodePresignSettings(handler.inputs.environment.variables);
            expect(settings.urlSigning).to.deep.include({
                keyPairId: `${privateRun.one(PUBLIC_KEY).name}-id`,
                secretArn: privateRun.one(SECRET).state.arn,
                expiresIn: 3600,
            });
            const routes = privateRun.ofType(ROUTE).map((r) => r.inputs.routeKey);
            expect(routes).to.include(SIGNED_URL_ROUTE);
            expect(routes).to.not.include("GET /resize");
            const resizer = privateRun.ofType(FUNCTION).find((f) => f.name === "resizer-handler")!;
            expect(decodeResizeSettings(resizer.inputs.environment.variables).privateDelivery).to.equal(true);
        });

        it("with jwtIssuer, the signing route carries the JWT authorizer (only the owner signs)", async () => {
            const run = await runProgram({
                ...PRIVATE,
                "image-pipeline:jwtIssuer": "https://issuer.example.com",
                "image-pipeline:jwtAudience": "app",
            });
            const route = run.ofType(ROUTE).find((r) => r.inputs.routeKey === SIGNED_URL_ROUTE)!;
            expect(route.inputs.authorizationType).to.equal("JWT");
        });

        it("takes the URLs' lifetime from signedUrlExpiresIn, 60 s to 1 day; refuses anything else", async () => {
            const run = await runProgram({ ...PRIVATE, "image-pipeline:signedUrlExpiresIn": "60" });
            const handler = run.ofType(FUNCTION).find((f) => f.name === "uploads-handler")!;
            expect(decodePresignSettings(handler.inputs.environment.variables).urlSigning?.expiresIn).to.equal(60);
            for (const bad of ["59", "86401", "1h"]) {
                let error: unknown;
                try {
                    await runProgram({ ...PRIVATE, "image-pipeline:signedUrlExpiresIn": bad });
                } catch (thrown) {
                    error = thrown;
                }
                expect(String(error), bad).to.match(/signedUrlExpiresIn/);
            }
        });
    });

    describe("IAM, evaluated: the signing function's role alone may read the private key", () => {
        const read = async (run: ProgramRun, role: string): Promise<Decision[]> => {
            const secretArn: string = run.one(SECRET).state.arn;
            const keyArn: string = run.ofType("aws:kms/key:Key").find((k) => k.name === "url-signing-secret-key")!
                .state.arn;
            const policy = rolePolicyOf(run, role);
            const as = (action: string, resource: string, context: Record<string, string> = {}) =>
                evaluate({
                    principal: policy.arn,
                    identityPolicies: [policy.policy],
                    action,
                    resource,
                    context,
                    // No resource policy on the secret; the key keeps KMS's default policy (IAM decides).
                    resourcePolicy: action.startsWith("kms:") ? defaultKeyPolicy() : undefined,
                });
            // Secrets Manager decrypts the secret's value for the caller, through its own endpoint.
            const viaSecretsManager = { "kms:ViaService": `secretsmanager.${MOCK_REGION}.amazonaws.com` };
            return [
                await as("secretsmanager:GetSecretValue", secretArn),
                await as("kms:Decrypt", keyArn, viaSecretsManager),
            ];
        };

        for (const [mode, config] of [
            ["SSE AES256", PRIVATE],
            ["SSE-KMS, key created", { ...PRIVATE, "image-pipeline:kmsKeyArn": "create" }],
        ] as const) {
            it(`${mode}: the upload (signing) function's role may read the secret and decrypt it through Secrets Manager`, async () => {
                const run = await runProgram(config);
                expect(await read(run, PRESIGN_ROLE)).to.deep.equal(["Allowed", "Allowed"]);
            });

            it(`${mode}: ingest, its failure consumer, cleanup and the Resizer may do neither`, async () => {
                const run = await runProgram(config);
                for (const role of [INGEST_ROLE, INGEST_FAILURE_ROLE, CLEANUP_ROLE, RESIZER_ROLE]) {
                    expect(await read(run, role), role).to.deep.equal(["ImplicitlyDenied", "ImplicitlyDenied"]);
                }
            });
        }

        it("the signing role may not decrypt under the key directly (only through Secrets Manager), read another secret, or write this one", async () => {
            const run = privateRun;
            const keyArn: string = run.ofType("aws:kms/key:Key").find((k) => k.name === "url-signing-secret-key")!
                .state.arn;
            const secretArn: string = run.one(SECRET).state.arn;
            const policy = rolePolicyOf(run, PRESIGN_ROLE);
            const as = (action: string, resource: string, context: Record<string, string> = {}) =>
                evaluate({
                    principal: policy.arn,
                    identityPolicies: [policy.policy],
                    action,
                    resource,
                    context,
                    resourcePolicy: action.startsWith("kms:") ? defaultKeyPolicy() : undefined,
                });
            expect(await as("kms:Decrypt", keyArn)).to.not.equal("Allowed");
            expect(
                await as("kms:Decrypt", keyArn, { "kms:ViaService": `s3.${MOCK_REGION}.amazonaws.com` }),
            ).to.not.equal("Allowed");
            expect(await as("secretsmanager:GetSecretValue", `${secretArn.slice(0, -6)}ZzZzZz`)).to.not.equal(
                "Allowed",
            );
            expect(await as("secretsmanager:PutSecretValue", secretArn)).to.not.equal("Allowed");
        });
    });

    describe("a default stack (privateDelivery false)", () => {
        it("has no key pair, public key, key group, secret, nor signing route; no behaviour trusts a key group", () => {
            for (const type of [TLS_KEY, PUBLIC_KEY, KEY_GROUP, SECRET, SECRET_VERSION])
                expect(publicRun.ofType(type), type).to.deep.equal([]);
            expect(publicRun.ofType("aws:kms/key:Key").map((k) => k.name)).to.not.include("url-signing-secret-key");
            for (const behaviour of behaviours(publicRun))
                expect(behaviour, behaviour.pathPattern).to.not.have.property("trustedKeyGroups");
            expect(publicRun.ofType(ROUTE).map((r) => r.inputs.routeKey)).to.not.include(SIGNED_URL_ROUTE);
            const handler = publicRun.ofType(FUNCTION).find((f) => f.name === "uploads-handler")!;
            expect(decodePresignSettings(handler.inputs.environment.variables).urlSigning).to.equal(undefined);
            expect(Object.keys(handler.inputs.environment.variables).filter((name) => /SIGN/.test(name))).to.deep.equal(
                [],
            );
        });
    });
});
