// The upload API's routes, one list for the stack (infra/upload/presignApi.ts makes them) and local mode (which checks a
// JWT where the stack's authorizer would). No Pulumi import: local mode loads it.

/** Uppy's S3 plugin routes (functions/presign/companionRoutes.ts), as paths under the API or under a grant. */
const COMPANION_ROUTES = [
    "GET /s3/params",
    "POST /s3/multipart",
    "GET /s3/multipart/{uploadId}",
    "DELETE /s3/multipart/{uploadId}",
    "GET /s3/multipart/{uploadId}/{partNumber}",
    "POST /s3/multipart/{uploadId}/complete",
];

/** Routes that sign or read uploads: they carry the JWT authorizer when one is configured. */
export const UPLOAD_ROUTES = [
    "POST /uploads",
    "POST /uploads/form",
    "GET /uploads",
    "GET /uploads/{id}",
    // Trades the caller's JWT for an upload grant (functions/presign/grantRoutes.ts).
    "POST /uploads/grant",
    ...COMPANION_ROUTES,
];

/**
 * privateDelivery's signing route (functions/presign/signedUrlRoute.ts): a signed CDN URL for one upload. Made only
 * on a private stack, with the authorizer when one is configured (a caller signs for their own uploads only).
 */
export const SIGNED_URL_ROUTE = "GET /uploads/{id}/url";

/**
 * Uppy's routes under an upload grant (/g/<grant>/s3/...), made only with a JWT authorizer. They carry no
 * authorizer, because Uppy 6 sends no Authorization header: the function checks the grant in the path instead.
 */
export const GRANT_ROUTES = COMPANION_ROUTES.map((route) => route.replace(" /s3", " /g/{grant}/s3"));

/**
 * Whether a request takes this route, as the HTTP API matches a route key: the method, then the path segment by
 * segment, a {name} standing for any one segment.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
 */
export function matchesRoute(routeKey: string, method: string, path: string): boolean {
    const [routeMethod, routePath] = routeKey.split(" ");
    if (routeMethod !== method.toUpperCase()) return false;
    const want = routePath.split("/");
    const got = path.split("/");
    return (
        want.length === got.length &&
        want.every((segment, i) => (/^\{\w+\}$/.test(segment) ? got[i] !== "" : segment === got[i]))
    );
}
