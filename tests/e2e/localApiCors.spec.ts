// The upload API's CORS rules are one fact (functions/shared/apiCors.ts): API Gateway gets them as the HTTP API's
// corsConfiguration, and local mode's API answers its preflights with the same methods, headers and max-age.
import { expect } from "chai";
import { runProgram } from "../support/program";
import { startTestPipeline } from "../support/localPipeline";

const split = (value: string | null) =>
    (value ?? "")
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean);

describe("upload API CORS: local mode answers preflights as the deployed HTTP API is configured", () => {
    it("allows the same methods and request headers, for the same max-age", async () => {
        const deployed = (await runProgram()).one("aws:apigatewayv2/api:Api").inputs.corsConfiguration;
        const pipeline = await startTestPipeline();
        try {
            const preflight = await fetch(`${pipeline.url}/api/uploads`, {
                method: "OPTIONS",
                headers: {
                    origin: "http://localhost:3000",
                    "access-control-request-method": "POST",
                    "access-control-request-headers": "x-content-length",
                },
            });
            expect(preflight.status).to.equal(204);
            expect(preflight.headers.get("access-control-allow-origin")).to.equal("http://localhost:3000");
            expect(split(preflight.headers.get("access-control-allow-methods"))).to.have.members(deployed.allowMethods);
            expect(split(preflight.headers.get("access-control-allow-headers"))).to.have.members(deployed.allowHeaders);
            expect(Number(preflight.headers.get("access-control-max-age"))).to.equal(deployed.maxAge);
        } finally {
            await pipeline.close();
        }
    });
});
