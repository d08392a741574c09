// POST /uploads/grant and the routes under a grant, /g/<grant>/s3/... (functions/presign/uploadGrant.ts): with a
// JWT authorizer, a caller trades its JWT for an endpoint to give Uppy's S3 plugin as `companionEndpoint`. Under it
// are the same /s3 routes with the same limits (types, sizes, part numbers, the check at complete), as that caller:
// keys go under its prefix, and another caller's key is 403. The grant routes have no authorizer (Uppy sends no
// Authorization header); this module checks the grant on every request instead: 401 when altered or expired.
import { HttpError, HttpEvent } from "../shared/http";
import type { GrantKeySource } from "./grantKey";
import type { PresignSettings } from "./settings";
import { GRANT_PATH, grantPath, signGrant, verifyGrant } from "./uploadGrant";
import { ownerSegment } from "./uploadOwner";

export interface GrantRouteDeps {
    settings: PresignSettings;
    now: () => number;
    /** The signing key; the stack derives it from KMS (grantKey.ts), local mode keeps one in its data folder. */
    grantKey?: GrantKeySource;
}

export interface GrantRoutes {
    /** POST /uploads/grant: { companionEndpoint, expiresAt, expiresIn }. */
    issue(event: HttpEvent): Promise<{ status: number; body: Record<string, unknown> }>;
    /** A request under /g/<grant>: the event of the route below it (/s3/...), made as the grant's owner. */
    open(event: HttpEvent, path: string): Promise<{ event: HttpEvent; path: string }>;
    /** The owner prefix ("<owner>/") an event was made with by open, if any. */
    ownerOf(event: HttpEvent): string | undefined;
}

export function grantRoutes(deps: GrantRouteDeps): GrantRoutes {
    const owners = new WeakMap<HttpEvent, string>();

    async function key(): Promise<Buffer> {
        if (!deps.settings.requireAuth)
            throw new HttpError(404, "not_found", "Upload grants exist only behind the JWT authorizer (jwtIssuer)");
        if (!deps.grantKey)
            throw new HttpError(500, "misconfigured", "No key to sign upload grants with; check GRANT_KEY_ID");
        return deps.grantKey();
    }

    return {
        async issue(event) {
            const signingKey = await key();
            // The caller's key prefix from its JWT ("<sanitized sub>/"); 401 without a subject.
            const owner = ownerSegment(event, deps.settings.requireAuth).replace(/\/$/, "");
            const expiresAt = Math.floor(deps.now() / 1000) + deps.settings.expiresIn;
            const token = signGrant(signingKey, { owner, expiresAt });
            const apiUrl = (event.stageVariables?.apiUrl ?? "").replace(/\/+$/, "");
            return {
                status: 200,
                body: {
                    companionEndpoint: `${apiUrl}${GRANT_PATH}${token}`,
                    expiresAt: new Date(expiresAt * 1000).toISOString(),
                    expiresIn: deps.settings.expiresIn,
                },
            };
        },
        async open(event, path) {
            const signingKey = await key();
            const split = grantPath(path);
            if (!split) throw new HttpError(404, "not_found", "No such route");
            const grant = verifyGrant(signingKey, split.token, deps.now());
            if (!split.rest.startsWith("/s3/"))
                throw new HttpError(404, "not_found", "Under an upload grant are Uppy's /s3 routes only");
            const granted: HttpEvent = { ...event, rawPath: split.rest };
            owners.set(granted, `${grant.owner}/`);
            return { event: granted, path: split.rest };
        },
        ownerOf: (event) => owners.get(event),
    };
}
