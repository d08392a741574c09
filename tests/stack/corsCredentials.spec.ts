// corsAllowCredentials under the mocks: with credentials a `*` in a CORS list is refused by CloudFront ("The
// parameter Access-Control-Allow-Headers cannot contain * when allowCredentials is true") and read literally by
// browsers (https://fetch.spec.whatwg.org/#http-access-control-allow-headers), so every CORS list the stack
// deploys, the CDN's response-headers policies and the HTTP API's CORS configuration, must then name its values.
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
import { expect } from "chai";
import { CDN_CREDENTIALED_ALLOW_HEADERS } from "../../functions/shared/cdnResponseHeaders";
import { ProgramRun, runProgram } from "../support/program";

const CREDENTIALED = {
    "image-pipeline:corsAllowCredentials": "true",
    "image-pipeline:corsOrigins": "https://app.example.com",
};

/** Every CORS list of the CloudFront response-headers policies and the HTTP API, by where it is. */
function corsLists(run: ProgramRun): Array<{ where: string; credentials: boolean; values: string[] }> {
    const policies = run.ofType("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").flatMap((policy) => {
        const cors = policy.inputs.corsConfig;
        return ["accessControlAllowOrigins", "accessControlAllowHeaders", "accessControlAllowMethods"]
            .concat(cors.accessControlExposeHeaders ? ["accessControlExposeHeaders"] : [])
            .map((list) => ({
                where: `${policy.name} ${list}`,
                credentials: cors.accessControlAllowCredentials,
                values: cors[list].items,
            }));
    });
    const api = run.one("aws:apigatewayv2/api:Api").inputs.corsConfiguration;
    const apiLists = ["allowOrigins", "allowHeaders", "allowMethods", "exposeHeaders"]
        .filter((list) => api[list] !== undefined)
        .map((list) => ({ where: `HTTP API ${list}`, credentials: api.allowCredentials, values: api[list] }));
    return [...policies, ...apiLists];
}

describe("corsAllowCredentials: no `*` in any CORS list the stack deploys with credentials", function () {
    this.timeout(120_000);
    let plain: ProgramRun;
    let credentialed: ProgramRun;
    before(async () => {
        plain = await runProgram({});
        credentialed = await runProgram(CREDENTIALED);
    });

    it("with credentials, every CORS list (both CDN policies, the HTTP API) names its values", () => {
        const lists = corsLists(credentialed);
        expect(
            lists.filter((list) => list.where.includes("variant-headers")),
            "the variant policy",
        ).to.not.be.empty;
        for (const list of lists) {
            expect(list.credentials, list.where).to.equal(true);
            expect(list.values, list.where).to.not.be.empty;
            expect(list.values, list.where).to.not.include("*");
        }
    });

    it("with credentials, the CDN allows the range and conditional headers a read sends", () => {
        for (const policy of credentialed.ofType("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")) {
            expect(policy.inputs.corsConfig.accessControlAllowHeaders.items, policy.name).to.deep.equal([
                ...CDN_CREDENTIALED_ALLOW_HEADERS,
            ]);
        }
    });

    it("without credentials, the CDN still allows any request header (`*`)", () => {
        for (const policy of plain.ofType("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")) {
            expect(policy.inputs.corsConfig.accessControlAllowCredentials, policy.name).to.equal(false);
            expect(policy.inputs.corsConfig.accessControlAllowHeaders.items, policy.name).to.deep.equal(["*"]);
        }
    });
});
