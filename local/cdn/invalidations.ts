// Local mode's CloudFront invalidations: the local CDN caches nothing, so an invalidation only has to be recorded
// (and logged) for a person or a spec to read, path items ("/...") and tag items ("#<tag>") alike. It answers
// CreateInvalidation as CloudFront does
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_InvalidationBatch.html): a CallerReference sent
// again with the same paths makes nothing new; with other paths it is refused (InvalidationBatchAlreadyExists); a tag
// item whose tag breaks CloudFront's rule is refused (InvalidArgument)
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-tags.html).
import type { CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import type { InvalidationClient } from "../../functions/cleanup/invalidate";
import { isCacheTag } from "../../functions/shared/cacheTag";

export interface RecordedInvalidation {
    distributionId: string;
    callerReference: string;
    paths: string[];
}

export interface LocalInvalidations {
    client: InvalidationClient;
    /** Every invalidation made, oldest first. */
    made(): RecordedInvalidation[];
}

export function localInvalidations(log: (line: string) => void = () => undefined): LocalInvalidations {
    const made: RecordedInvalidation[] = [];
    const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((path) => b.includes(path));
    return {
        made: () => made.map((invalidation) => ({ ...invalidation, paths: [...invalidation.paths] })),
        client: {
            async send(command: CreateInvalidationCommand) {
                const { DistributionId = "", InvalidationBatch } = command.input;
                const callerReference = InvalidationBatch?.CallerReference ?? "";
                const paths = InvalidationBatch?.Paths?.Items ?? [];
                if (paths.length !== InvalidationBatch?.Paths?.Quantity)
                    throw Object.assign(new Error("Quantity does not match the number of paths"), {
                        name: "InconsistentQuantities",
                    });
                if (paths.some((item) => item.startsWith("#") && !isCacheTag(item.slice(1))))
                    throw Object.assign(
                        new Error("A tag item's tag is not 1-256 visible ASCII characters without a comma"),
                        { name: "InvalidArgument" },
                    );
                const previous = made.find((invalidation) => invalidation.callerReference === callerReference);
                if (previous && !sameSet(previous.paths, paths))
                    throw Object.assign(
                        new Error("The CallerReference was used for a previous invalidation batch with other paths"),
                        { name: "InvalidationBatchAlreadyExists" },
                    );
                if (!previous) {
                    made.push({ distributionId: DistributionId, callerReference, paths: [...paths] });
                    log(JSON.stringify({ message: "cdn invalidation", paths }));
                }
                return { Invalidation: { Id: `LOCAL${made.indexOf(previous ?? made[made.length - 1]) + 1}` } };
            },
        },
    };
}
