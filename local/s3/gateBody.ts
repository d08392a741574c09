// The request body, when S3 would check it: the signed payload hash, Content-MD5 and x-amz-checksum-* claims
// against the bytes received, and a browser POST upload's signed policy against its form. What passes is what
// s3rver receives (a POST form rewritten to the fields s3rver reads); what fails is refused before s3rver sees it.
import * as http from "http";
import { readRequestBody } from "../../functions/shared/httpEvent";
import { checksumClaims, hasChecksumClaim, verifyChecksums, verifyContentMd5 } from "./checksumVerify";
import { Rewrite } from "./gateForward";
import { PayloadClaim, payloadHashFailure } from "./headerAuthVerify";
import { readPostForm, rewritePostForm, substitutedKey } from "./postForm";
import { verifyPostUpload } from "./postPolicyVerify";
import { S3Failure, s3Failure } from "./s3Failure";
import { LocalCredentials } from "./sigv4Verify";

export interface BodyCheck {
    req: http.IncomingMessage;
    query: URLSearchParams;
    bucket: string;
    payload: PayloadClaim;
    postForm: boolean;
    /** CompleteMultipartUpload: its checksum headers are the parts' composite checksum, not the XML body's. */
    completing: boolean;
}

export interface CheckedBody {
    /** The x-amz-checksum-* claims the body was checked against (none when completing a multipart upload). */
    claims: ReadonlyMap<string, string>;
    /** What s3rver gets instead of the request's own body and headers (nothing: the request is streamed). */
    rewrite: Rewrite;
    /** A POST upload's key, from its form; undefined otherwise. */
    postKey?: string;
}

export interface BodyRules {
    credentials: LocalCredentials;
    region: string;
    now: () => number;
    maxBodyBytes: number;
    /** Verify SigV2 POST forms as a bucket created before June 2020 does. */
    acceptSigV2Post?: boolean;
}

/** Reads and checks the body when anything claims something of it; otherwise leaves it to be streamed. */
export async function checkedBody(request: BodyCheck, rules: BodyRules): Promise<CheckedBody | { failure: S3Failure }> {
    const { req, query, payload, postForm, completing } = request;
    const claims = completing ? new Map<string, string>() : checksumClaims(query, req.headers);
    const needsBody =
        postForm ||
        payload.kind === "sha256" ||
        req.headers["content-md5"] !== undefined ||
        (hasChecksumClaim(query, req.headers) && !completing);
    if (!needsBody) return { claims, rewrite: {} };
    const body = await readRequestBody(req, rules.maxBodyBytes);
    if (!body)
        return { failure: s3Failure(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size") };
    const failure =
        payloadHashFailure(payload, body) ??
        verifyContentMd5(req.headers["content-md5"], body) ??
        (await verifyChecksums(claims, body));
    if (failure) return { failure };
    if (!postForm) return { claims, rewrite: { body } };
    return checkedPostForm(req, body, request.bucket, claims, rules);
}

/** A browser POST upload: its policy and signature, and the checksums its fields claim for the file. */
async function checkedPostForm(
    req: http.IncomingMessage,
    body: Buffer,
    bucket: string,
    claims: ReadonlyMap<string, string>,
    rules: BodyRules,
): Promise<CheckedBody | { failure: S3Failure }> {
    const form = await readPostForm(req.headers, body);
    if ("status" in form) return { failure: form };
    const fields = form.fields.map(([name, value]): [string, string] => [
        name,
        name.toLowerCase() === "key" ? substitutedKey(value, form.fileName) : value,
    ]);
    const failure =
        verifyPostUpload({ bucket, fields, fileSize: form.file.length }, rules.credentials, rules.now(), rules.region, {
            acceptSigV2: rules.acceptSigV2Post,
        }) ??
        (await verifyChecksums(
            new Map(
                fields
                    .filter(([name]) => /^x-amz-checksum-/i.test(name))
                    .map(([name, value]) => [name.toLowerCase().slice("x-amz-checksum-".length), value]),
            ),
            form.file,
        ));
    if (failure) return { failure };
    const rewritten = rewritePostForm(form);
    return {
        claims,
        rewrite: { body: rewritten.body, headers: { "content-type": rewritten.contentType } },
        postKey: fields.find(([name]) => name.toLowerCase() === "key")?.[1],
    };
}
