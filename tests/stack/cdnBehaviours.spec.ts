// What reaches the Resizer through CloudFront, and how CloudFront treats its errors and its time.
import { expect } from "chai";
import { ProgramRun, runProgram } from "../support/program";
import { routeRequest } from "../support/cloudfrontPathPattern";
import { formatVariantKey, UPLOADS_PREFIX } from "../../functions/shared/bucketLayout";
import { edgeFunctionCode } from "../../functions/edge/edgeFunction";
import { CACHE_TAG_HEADER, CACHE_TAG_METADATA } from "../../functions/shared/cacheTag";

const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";

/** The origin id each path is routed to, read from the distribution the program declared. */
function router(run: ProgramRun): { route: (path: string) => string; bucket: string; variants: string } {
    const d = run.one(DISTRIBUTION).inputs;
    const variants: string = d.originGroups[0].originId;
    const bucket: string = d.origins.find((o: any) => o.domainName.includes(".s3.")).originId;
    return {
        route: (path) => routeRequest(d.orderedCacheBehaviors, d.defaultCacheBehavior.targetOriginId, path),
        bucket,
        variants,
    };
}

describe("CloudFront behaviours under mocks (infra/delivery/cdnDistribution.ts)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram();
    });

    describe("only variant paths reach the Resizer (path-pattern routing, tests/support/cloudfrontPathPattern.ts)", () => {
        it("sends each allowed size's variants to the origin group, and nothing else", () => {
            const { route, bucket, variants } = router(run);
            for (const path of ["/300x300/uploads/a.jpg", "/640x480/uploads/sub/b.png", "/1280x720/uploads/c.webp"]) {
                expect(route(path), path).to.equal(variants);
            }
            for (const path of [
                "/favicon.ico",
                "/robots.txt",
                "/",
                "/wp-login.php",
                "/uploads/a.jpg",
                "/uploads/x/uploads/a.jpg",
                "/300x301/uploads/a.jpg",
                "/999x999/uploads/a.jpg",
                "/300X300/uploads/a.jpg",
                "/300x300/other/a.jpg",
                "/300x300uploads/a.jpg",
                "/a/300x300/uploads/a.jpg",
            ]) {
                expect(route(path), path).to.equal(bucket);
            }
        });

        it("with allowAnyResolution, routes every WxH/uploads/ path there, but originals under uploads/ still never", async () => {
            const any = await runProgram({
                "image-pipeline:allowedResolutions": "",
                "image-pipeline:allowAnyResolution": "true",
            });
            const { route, bucket, variants } = router(any);
            expect(route("/123x45/uploads/a.jpg")).to.equal(variants);
            // `*x*/uploads/*` matches this original's path too: the uploads/* behaviour comes first and wins.
            expect(route("/uploads/x/uploads/a.jpg")).to.equal(bucket);
            expect(route("/uploads/1x1/uploads/a.jpg")).to.equal(bucket);
            expect(route("/favicon.ico")).to.equal(bucket);
            expect(any.one(DISTRIBUTION).inputs.orderedCacheBehaviors.map((b: any) => b.pathPattern)).to.deep.equal([
                `${UPLOADS_PREFIX}*`,
                `*x*/${UPLOADS_PREFIX}*`,
            ]);
        });

        it("takes the upload prefix from functions/shared/bucketLayout.ts", () => {
            const patterns: string[] = run
                .one(DISTRIBUTION)
                .inputs.orderedCacheBehaviors.map((b: any) => b.pathPattern);
            expect(patterns).to.deep.equal(
                [
                    UPLOADS_PREFIX,
                    `300x300/*${UPLOADS_PREFIX}`,
                    `640x480/*${UPLOADS_PREFIX}`,
                    `1280x720/*${UPLOADS_PREFIX}`,
                ].map((p) => `${p}*`),
            );
        });

        it("sends explicit format paths (functions/shared/bucketLayout.ts formatVariantKey) to the origin group, in the size's one behaviour", () => {
            const { route, bucket, variants } = router(run);
            for (const format of ["avif", "webp"] as const) {
                expect(route(`/${formatVariantKey("300x300", format, "uploads/a.jpg")}`), format).to.equal(variants);
                expect(route(`/${formatVariantKey("999x999", format, "uploads/a.jpg")}`), format).to.equal(bucket);
            }
            expect(run.one(DISTRIBUTION).inputs.orderedCacheBehaviors).to.have.length(4);
        });

        it("gives each width-only and height-only size (<W>x0, 0x<H>) a behaviour of its own, with the edge function, counted toward the 73", async () => {
            const widths = ["640x0", "750x0", "828x0", "1080x0", "1200x0", "1920x0", "2048x0"];
            const responsive = await runProgram({
                "image-pipeline:allowedResolutions": ["300x300", ...widths, "0x480"].join(","),
            });
            const d = responsive.one(DISTRIBUTION).inputs;
            const { route, bucket, variants } = router(responsive);
            expect(d.orderedCacheBehaviors.map((b: any) => b.pathPattern).slice(1)).to.deep.equal(
                ["300x300", ...widths, "0x480"].map((s) => `${s}/*${UPLOADS_PREFIX}*`),
            );
            for (const behaviour of d.orderedCacheBehaviors.slice(1))
                expect(behaviour.functionAssociations, behaviour.pathPattern).to.have.length(1);
            for (const path of ["/640x0/uploads/a.jpg", "/2048x0/avif/uploads/a.jpg", "/0x480/uploads/b.png"])
                expect(route(path), path).to.equal(variants);
            for (const path of [
                "/0x0/uploads/a.jpg",
                "/640x00/uploads/a.jpg",
                "/6400x0/uploads/a.jpg",
                "/640x/uploads/a.jpg",
            ])
                expect(route(path), path).to.equal(bucket);
        });

        it("builds a stack with Next.js's 8 default widths (deviceSizes and 3840) as width-only sizes, 11 sizes in all: 13 of CloudFront's 75 behaviours", async () => {
            // next/image's default deviceSizes: https://nextjs.org/docs/app/api-reference/components/image#devicesizes
            const next = ["640x0", "750x0", "828x0", "1080x0", "1200x0", "1920x0", "2048x0", "3840x0"];
            const sizes = ["300x300", "640x480", "1280x720", ...next];
            const nextStack = await runProgram({
                "image-pipeline:allowedResolutions": sizes.join(","),
                "image-pipeline:maxResizeDimension": "3840",
            });
            const d = nextStack.one(DISTRIBUTION).inputs;
            expect(d.orderedCacheBehaviors.map((b: any) => b.pathPattern)).to.deep.equal([
                `${UPLOADS_PREFIX}*`,
                ...sizes.map((s) => `${s}/*${UPLOADS_PREFIX}*`),
            ]);
            // The default behaviour plus the ordered ones: well under the 75 a distribution may have
            // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html).
            expect(1 + d.orderedCacheBehaviors.length).to.equal(13);
            const { route, variants } = router(nextStack);
            for (const size of next) expect(route(`/${size}/uploads/a.jpg`), size).to.equal(variants);
        });

        it("with formats empty, keeps the plain per-size patterns", async () => {
            const plain = await runProgram({ "image-pipeline:formats": "" });
            const patterns = plain.one(DISTRIBUTION).inputs.orderedCacheBehaviors.map((b: any) => b.pathPattern);
            expect(patterns.slice(1)).to.deep.equal(
                ["300x300", "640x480", "1280x720"].map((s) => `${s}/${UPLOADS_PREFIX}*`),
            );
        });
    });

    describe("format by Accept (functions/edge/chooseFormat.js as a CloudFront Function)", () => {
        const FUNCTION = "aws:cloudfront/function:Function";
        const behaviours = (r: ProgramRun) => r.one(DISTRIBUTION).inputs.orderedCacheBehaviors as any[];
        const variantBehaviours = (r: ProgramRun) =>
            behaviours(r).filter((b) => b.targetOriginId === r.one(DISTRIBUTION).inputs.originGroups[0].originId);

        it("deploys the one source file, formats injected, as a published cloudfront-js-2.0 function", () => {
            const fn = run.one(FUNCTION).inputs;
            expect(fn.runtime).to.equal("cloudfront-js-2.0");
            expect(fn.publish).to.equal(true);
            expect(fn.code).to.equal(edgeFunctionCode(["avif", "webp"]));
            expect(fn.code).to.include('const ENABLED_FORMATS = ["avif","webp"];');
        });

        it("associates it (viewer-request) with every variant behaviour and nothing else", () => {
            const arn = run.one(FUNCTION).name;
            const variants = variantBehaviours(run);
            expect(variants).to.have.length(3);
            for (const behaviour of variants) {
                expect(behaviour.functionAssociations, behaviour.pathPattern).to.have.length(1);
                expect(behaviour.functionAssociations[0].eventType).to.equal("viewer-request");
                expect(String(behaviour.functionAssociations[0].functionArn)).to.include(arn);
            }
            const others = [run.one(DISTRIBUTION).inputs.defaultCacheBehavior, ...behaviours(run)].filter(
                (b) => !variants.includes(b),
            );
            expect(others).to.have.length(2);
            for (const behaviour of others)
                expect(behaviour.functionAssociations, behaviour.pathPattern).to.equal(undefined);
        });

        it("keeps no header (nor cookie or query string) in the cache key: the rewritten URI is the key", () => {
            const key = run.one("aws:cloudfront/cachePolicy:CachePolicy").inputs
                .parametersInCacheKeyAndForwardedToOrigin;
            expect(key.headersConfig).to.deep.equal({ headerBehavior: "none" });
            expect(key.cookiesConfig).to.deep.equal({ cookieBehavior: "none" });
            expect(key.queryStringsConfig).to.deep.equal({ queryStringBehavior: "none" });
        });

        it("adds Vary: Accept to variant responses only, with the images' CORS and security headers", () => {
            const policies = run.ofType("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy");
            expect(policies).to.have.length(2);
            const vary = policies.find((p) => p.inputs.customHeadersConfig)!;
            const plain = policies.find((p) => !p.inputs.customHeadersConfig)!;
            expect(vary.inputs.customHeadersConfig.items).to.deep.equal([
                { header: "Vary", value: "Accept", override: true },
            ]);
            expect(vary.inputs.corsConfig).to.deep.equal(plain.inputs.corsConfig);
            expect(vary.inputs.securityHeadersConfig).to.deep.equal(plain.inputs.securityHeadersConfig);
            for (const behaviour of variantBehaviours(run)) {
                expect(String(behaviour.responseHeadersPolicyId)).to.include(vary.name);
            }
            const distribution = run.one(DISTRIBUTION).inputs;
            for (const behaviour of [distribution.defaultCacheBehavior, behaviours(run)[0]]) {
                expect(String(behaviour.responseHeadersPolicyId)).to.include(plain.name);
            }
        });

        it("with allowAnyResolution, the one *x* behaviour runs it", async () => {
            const any = await runProgram({
                "image-pipeline:allowedResolutions": "",
                "image-pipeline:allowAnyResolution": "true",
            });
            const [original, variant] = behaviours(any);
            expect(variant.pathPattern).to.equal(`*x*/${UPLOADS_PREFIX}*`);
            expect(variant.functionAssociations).to.have.length(1);
            expect(original.functionAssociations).to.equal(undefined);
        });

        for (const [what, overrides] of [
            ["autoFormat false", { "image-pipeline:autoFormat": "false" }],
            ["formats empty", { "image-pipeline:formats": "" }],
        ] as const) {
            it(`with ${what}: no function, no association, no Vary: Accept`, async () => {
                const off = await runProgram(overrides);
                expect(off.ofType(FUNCTION)).to.have.length(0);
                expect(off.ofType("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")).to.have.length(1);
                for (const behaviour of behaviours(off)) {
                    expect(behaviour.functionAssociations, behaviour.pathPattern).to.equal(undefined);
                }
            });
        }
    });

    it("never caches errors: errorCachingMinTtl 0 for 400, 403, 404, 405, 414 and 5xx, with no page or status rewrite", () => {
        const responses: any[] = run.one(DISTRIBUTION).inputs.customErrorResponses;
        expect(responses.map((r) => r.errorCode)).to.have.members([400, 403, 404, 405, 414, 500, 501, 502, 503, 504]);
        for (const response of responses) {
            expect(response, String(response.errorCode)).to.deep.equal({
                errorCode: response.errorCode,
                errorCachingMinTtl: 0,
            });
        }
    });

    it("reads cache tags from x-amz-meta-cache-tag, the header S3 answers the objects' cache-tag metadata as (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-by-tags.html), and no response-headers policy removes it", () => {
        expect(run.one(DISTRIBUTION).inputs.cacheTagConfig).to.deep.equal({ headerName: "x-amz-meta-cache-tag" });
        expect(`x-amz-meta-${CACHE_TAG_METADATA}`).to.equal(CACHE_TAG_HEADER);
        for (const policy of run.ofType("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"))
            expect(JSON.stringify(policy.inputs.removeHeadersConfig ?? {}), policy.name).to.not.include("x-amz-meta");
    });

    describe("timeouts agree", () => {
        const resizerOrigin = (r: ProgramRun) =>
            r.one(DISTRIBUTION).inputs.origins.find((o: any) => o.customOriginConfig);

        it("gives the Resizer origin a 30 s read timeout and 2 connection attempts by default", () => {
            const origin = resizerOrigin(run);
            expect(origin.customOriginConfig.originReadTimeout).to.equal(30);
            expect(origin.connectionAttempts).to.equal(2);
        });

        it("takes them from resizerOriginReadTimeoutSeconds and resizerOriginConnectionAttempts", async () => {
            const tuned = await runProgram({
                "image-pipeline:resizerOriginReadTimeoutSeconds": "45",
                "image-pipeline:resizerOriginConnectionAttempts": "1",
            });
            expect(resizerOrigin(tuned).customOriginConfig.originReadTimeout).to.equal(45);
            expect(resizerOrigin(tuned).connectionAttempts).to.equal(1);
        });

        it("gives GET /resize the HTTP API's 30 s maximum integration timeout, the cap on resizerTimeoutSeconds", () => {
            const integration = run
                .ofType("aws:apigatewayv2/integration:Integration")
                .find((i) => i.name.endsWith("resize-integration"))!;
            expect(integration.inputs.timeoutMilliseconds).to.equal(30_000);
        });
    });

    describe("runaway-bill guard", () => {
        const resizerFunction = (r: ProgramRun) =>
            r.ofType("aws:lambda/function:Function").find((f) => f.name === "resizer-handler")!;

        it("reserves concurrency 10 for the Resizer unless told otherwise", () => {
            expect(resizerFunction(run).inputs.reservedConcurrentExecutions).to.equal(10);
        });

        for (const off of ["none", "off"]) {
            it(`reserves none with resizerReservedConcurrency=${off} (accounts whose quota cannot reserve any)`, async () => {
                const unreserved = await runProgram({ "image-pipeline:resizerReservedConcurrency": off });
                expect(resizerFunction(unreserved).inputs).to.not.have.property("reservedConcurrentExecutions");
            });
        }
    });
});
