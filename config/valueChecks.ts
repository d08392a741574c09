// What makes one config value valid on its own: each check answers why a value is refused, or undefined when it
// is fine. Rules between keys are config/keyRules.ts's.
import { quoteInput as quote } from "../functions/shared/quoteInput";
import { parseSize } from "../functions/shared/bucketLayout";

/** `kmsKeyArn: create`: ImageBucket makes the key, with the key policy CloudFront's OAC needs. */
export const KMS_CREATE = "create";

/**
 * A KMS key for the bucket: "create", or a key ARN in the bucket's region. IAM policies name keys by key ARN only
 * (https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html: an alias ARN in Resource does not
 * match the key), and S3 only uses keys from the bucket's Region
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
 */
export function kmsKeyProblem(value: string, bucketRegion: string | undefined): string | undefined {
    if (value === KMS_CREATE) return undefined;
    const match = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key|alias)\/[\w/-]+$/.exec(value);
    if (!match) return `is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>) nor ${quote(KMS_CREATE)}`;
    if (match[2] === "alias") {
        return "is an alias ARN; IAM policies cannot name a key by alias: pass the key ARN (arn:aws:kms:<region>:<account>:key/<key-id>, `aws kms describe-key --key-id alias/...` shows it)";
    }
    if (bucketRegion && match[1] !== bucketRegion) {
        return `is in ${match[1]}, but the bucket is in ${bucketRegion} (aws:region) and S3 only uses KMS keys of its own region`;
    }
    return undefined;
}

/** CloudFront only uses certificates from us-east-1. */
export function certificateArnProblem(value: string): string | undefined {
    return /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(value)
        ? undefined
        : "is not an ACM certificate ARN in us-east-1 (CloudFront only uses certificates from us-east-1)";
}

/** A variant size: "<W>x<H>", or "<W>x0" / "0x<H>" for a width or height alone (functions/shared/bucketLayout.ts). */
export function resolutionProblem(value: string, maxDimension: number): string | undefined {
    if (value === "0x0") return "names neither a width nor a height; use <W>x0 for a width alone or 0x<H> for a height";
    const size = parseSize(value);
    if (!size)
        return "is not a size like 300x300, 640x0 (width alone) or 0x480 (height alone): digits, no leading zeros";
    if (size.width > maxDimension || size.height > maxDimension) return `exceeds maxResizeDimension (${maxDimension})`;
    return undefined;
}

export function originProblem(value: string): string | undefined {
    if (value === "*") return undefined;
    const url = tryUrl(value);
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) return "is not an http(s) origin";
    if (url.origin !== value)
        return `is not an origin (scheme://host[:port], no path or trailing slash; did you mean ${quote(url.origin)}?)`;
    return undefined;
}

export function hostnameProblem(value: string): string | undefined {
    return /^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(value)
        ? undefined
        : "is not a lower-case DNS name";
}

export function issuerProblem(value: string): string | undefined {
    const url = tryUrl(value);
    return url?.protocol === "https:" && !url.search && !url.hash ? undefined : "is not an https issuer URL";
}

export function emptyProblem(value: string): string | undefined {
    return value.trim() ? undefined : "is empty";
}

/** Why a value is not one of `choices` (a type guard over them), or undefined. */
export function choiceProblem(value: string, choices: readonly string[]): string | undefined {
    return choices.includes(value) ? undefined : `is not one of ${choices.join(", ")}`;
}

function tryUrl(value: string): URL | undefined {
    try {
        return new URL(value);
    } catch {
        return undefined;
    }
}

/** An address SNS can send the alarms to: one mailbox, no display name or list. */
export function emailProblem(value: string): string | undefined {
    return /^[^\s@,;<>"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(value) ? undefined : "is not an email address";
}
