// Signs browser uploads straight to S3 under the staging prefix (bucketLayout's STAGING_PREFIX, the one source):
// a presigned PUT (Content-Type pinned, Content-Length too when declared) or a presigned POST (size capped by its
// policy). The routes that sign (/uploads: uploadRoutes.ts; Uppy's /s3: companionRoutes.ts) all sign here.
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { uploadKeys } from "../shared/bucketLayout";
import type { HttpEvent } from "../shared/http";
import { IMAGE_EXTENSIONS, ImageContentType } from "../shared/imageTypes";
import type { PresignSettings } from "./settings";
import { FOCUS_METADATA, FocalPoint, focusText } from "../shared/focalPoint";

export interface SigningDependencies {
    s3: S3Client;
    settings: PresignSettings;
    now: () => number;
    newId: () => string;
    /** The caller's key prefix ("" without auth): uploadOwner.ts. */
    ownerSegment(event: HttpEvent): string;
}

/** A new upload's keys: the staging key it is signed for, the key the checked original will have (what answers
 *  name), and where its status is read. */
export interface NewUpload {
    stagingKey: string;
    key: string;
    statusUrl: string;
}

export interface UploadSigner {
    newUpload(contentType: ImageContentType, event: HttpEvent): NewUpload;
    /** With a focal point, the URL also pins `x-amz-meta-focus` (in `headers`): the upload carries it to ingest. */
    signPut(
        contentType: ImageContentType,
        size: number | undefined,
        event: HttpEvent,
        focus?: FocalPoint,
    ): Promise<{
        key: string;
        statusUrl: string;
        uploadUrl: string;
        headers: Record<string, string>;
        expiresAt: string;
    }>;
    /** With a focal point, the policy pins the `x-amz-meta-focus` field (in `fields`). */
    signPost(
        contentType: ImageContentType,
        event: HttpEvent,
        focus?: FocalPoint,
    ): Promise<{
        key: string;
        statusUrl: string;
        uploadUrl: string;
        fields: Record<string, string>;
        maxBytes: number;
        expiresAt: string;
    }>;
}

export function uploadSigner(deps: SigningDependencies): UploadSigner {
    const { s3, settings, now } = deps;
    const expiry = (signedAt: number) => new Date(signedAt + settings.expiresIn * 1000).toISOString();

    /**
     * A new upload: the key it is signed for (incoming/<id>.<ext>), the key the checked original will have
     * (uploads/<id>.<ext>, what answers name) and where its status is read (GET <api>/uploads/<uuid>). The API's
     * URL comes from the stage (stage variable apiUrl); without one the status URL is the API-relative path.
     */
    function newUpload(contentType: ImageContentType, event: HttpEvent): NewUpload {
        const uuid = deps.newId();
        const keys = uploadKeys(`${deps.ownerSegment(event)}${uuid}`, IMAGE_EXTENSIONS[contentType]);
        const apiUrl = (event.stageVariables?.apiUrl ?? "").replace(/\/+$/, "");
        return { stagingKey: keys.stagingKey, key: keys.finalKey, statusUrl: `${apiUrl}/uploads/${uuid}` };
    }

    return {
        newUpload,
        async signPut(contentType, size, event, focus) {
            const { stagingKey, key, statusUrl } = newUpload(contentType, event);
            const focusValue = focus ? focusText(focus) : undefined;
            const signedAt = now();
            const uploadUrl = await getSignedUrl(
                s3,
                new PutObjectCommand({
                    Bucket: settings.bucket,
                    Key: stagingKey,
                    ContentType: contentType,
                    ContentLength: size,
                    // Create only: S3 answers 412 if the key exists (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
                    IfNoneMatch: "*",
                    ...(focusValue ? { Metadata: { [FOCUS_METADATA]: focusValue } } : {}),
                }),
                {
                    expiresIn: settings.expiresIn,
                    signingDate: new Date(signedAt),
                    // The presigner never signs Content-Type unless it is listed here (S3RequestPresigner puts it in
                    // unsignableHeaders); If-None-Match and Content-Length are signed anyway because the command
                    // sets them, and are listed so this set names all the URL pins. S3 then refuses another type,
                    // another length (a signed Content-Length caps the size exactly) and a PUT without If-None-Match.
                    signableHeaders: new Set([
                        "content-type",
                        "if-none-match",
                        ...(size === undefined ? [] : ["content-length"]),
                        ...(focusValue ? [`x-amz-meta-${FOCUS_METADATA}`] : []),
                    ]),
                    // Signed as a header the client sends (in `headers`), not hoisted into the URL's query, where
                    // the presigner puts x-amz-meta-* by default: one way for S3 to receive it.
                    ...(focusValue ? { unhoistableHeaders: new Set([`x-amz-meta-${FOCUS_METADATA}`]) } : {}),
                },
            );
            const headers: Record<string, string> = { "Content-Type": contentType, "If-None-Match": "*" };
            if (size !== undefined) headers["Content-Length"] = String(size);
            if (focusValue) headers[`x-amz-meta-${FOCUS_METADATA}`] = focusValue;
            return { key, statusUrl, uploadUrl, headers, expiresAt: expiry(signedAt) };
        },
        async signPost(contentType, event, focus) {
            const { stagingKey, key, statusUrl } = newUpload(contentType, event);
            const signedAt = now();
            const { url, fields } = await createPresignedPost(s3, {
                Bucket: settings.bucket,
                Key: stagingKey,
                // Fields become exact-match conditions too: the Content-Type and the 201 answer are pinned.
                Fields: {
                    "Content-Type": contentType,
                    success_action_status: "201",
                    ...(focus ? { [`x-amz-meta-${FOCUS_METADATA}`]: focusText(focus) } : {}),
                },
                Conditions: [["content-length-range", 1, settings.maxUploadBytes]],
                Expires: settings.expiresIn,
            });
            return {
                key,
                statusUrl,
                uploadUrl: url,
                fields,
                maxBytes: settings.maxUploadBytes,
                expiresAt: expiry(signedAt),
            };
        },
    };
}
