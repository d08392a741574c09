// The rules between config keys (each key's own value is checked by its parser, config/configKeys.ts): what one
// key's value requires of another's. Each broken rule is one problem, naming both keys and the way out.
import { quoteInput as quote } from "../functions/shared/quoteInput";
import type { PipelineConfig } from "./configKeys";
import { fargateSizeProblem } from "./fargateSizes";
import { MAX_ALLOWED_RESOLUTIONS, MAX_EAGER_RESOLUTIONS } from "./limits";

/** Every broken rule between keys; `allowedResolutionsSet`: whether allowedResolutions was set (not defaulted). */
export function keyRuleProblems(config: PipelineConfig, ns: string, allowedResolutionsSet: boolean): string[] {
    const problems: string[] = [];
    const sizeProblem = fargateSizeProblem(config.fargateCpu, config.fargateMemoryMb);
    if (sizeProblem) problems.push(`${ns}:fargateMemoryMb: ${config.fargateMemoryMb} ${sizeProblem}`);
    if (config.fargateMinTasks > config.fargateMaxTasks) {
        problems.push(
            `${ns}:fargateMinTasks (${config.fargateMinTasks}) exceeds ${ns}:fargateMaxTasks (${config.fargateMaxTasks})`,
        );
    }
    problems.push(...resolutionProblems(config, ns, allowedResolutionsSet));
    if (config.resizerTimeoutSeconds > config.resizerOriginReadTimeoutSeconds) {
        problems.push(
            `${ns}:resizerTimeoutSeconds (${config.resizerTimeoutSeconds}) exceeds ${ns}:resizerOriginReadTimeoutSeconds (${config.resizerOriginReadTimeoutSeconds}): the Lambda would run, billed, after CloudFront gave up on it`,
        );
    }
    if (config.corsAllowCredentials && config.corsOrigins.includes("*")) {
        problems.push(
            `${ns}:corsOrigins: "*" cannot be used with corsAllowCredentials=true (browsers refuse it); list the origins`,
        );
    }
    if (config.corsOrigins.includes("*") && config.corsOrigins.length > 1) {
        problems.push(`${ns}:corsOrigins: "*" already allows every origin; remove the other entries`);
    }
    if (config.domainNames.length > 0 !== (config.certificateArn !== undefined)) {
        problems.push(`${ns}:domainNames and ${ns}:certificateArn must be set together`);
    }
    if ((config.jwtIssuer !== undefined) !== config.jwtAudience.length > 0) {
        problems.push(`${ns}:jwtIssuer and ${ns}:jwtAudience must be set together`);
    }
    return problems;
}

function resolutionProblems(config: PipelineConfig, ns: string, allowedResolutionsSet: boolean): string[] {
    const problems: string[] = [];
    const { allowedResolutions, allowAnyResolution, eagerResolutions, maxResizeDimension } = config;
    if (allowedResolutionsSet && allowedResolutions.length === 0 && !allowAnyResolution) {
        problems.push(
            `${ns}:allowedResolutions: an empty list would let anyone make any size up to ${maxResizeDimension}px; list the sizes, or set ${ns}:allowAnyResolution to true to mean it`,
        );
    }
    if (allowAnyResolution && allowedResolutions.length > 0) {
        problems.push(
            `${ns}:allowAnyResolution=true needs ${ns}:allowedResolutions set to "" (empty); it is ${quote(allowedResolutions.join(","))}`,
        );
    }
    if (allowedResolutions.length > MAX_ALLOWED_RESOLUTIONS) {
        problems.push(
            `${ns}:allowedResolutions: ${allowedResolutions.length} sizes, but CloudFront allows 75 cache behaviours per distribution (one per size, plus two): at most ${MAX_ALLOWED_RESOLUTIONS}, or allowAnyResolution`,
        );
    }
    // An eager variant is one the Resizer would make on request: a size it refuses is never made ahead either.
    // With allowAnyResolution every valid size up to maxResizeDimension is allowed, so any may be eager.
    const notAllowed = allowAnyResolution ? [] : eagerResolutions.filter((size) => !allowedResolutions.includes(size));
    if (notAllowed.length > 0) {
        problems.push(
            `${ns}:eagerResolutions: ${notAllowed.map((size) => quote(size)).join(", ")} not in ${ns}:allowedResolutions (${allowedResolutions.join(",") || "empty"}); eager sizes must be allowed sizes`,
        );
    }
    if (eagerResolutions.length > MAX_EAGER_RESOLUTIONS) {
        problems.push(
            `${ns}:eagerResolutions: ${eagerResolutions.length} sizes; at most ${MAX_EAGER_RESOLUTIONS} (each is rendered inside one ingest invocation, before the upload is ready)`,
        );
    }
    return problems;
}
