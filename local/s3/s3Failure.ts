// An S3 error answer, as S3 gives it: status, code and message in an XML <Error> document.

export interface S3Failure {
    status: number;
    code: string;
    message: string;
}

export function s3Failure(status: number, code: string, message: string): S3Failure {
    return { status, code, message };
}

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Text as XML character data or an attribute value. */
export function escapeXml(text: string): string {
    return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);
}

export function s3ErrorXml(failure: S3Failure, requestId: string): string {
    return (
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(failure.code)}</Code>` +
        `<Message>${escapeXml(failure.message)}</Message><RequestId>${escapeXml(requestId)}</RequestId></Error>`
    );
}

/** S3's answer to a signature by an access key it does not know (here: any but the local credentials). */
export function unknownAccessKey(): S3Failure {
    return s3Failure(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
}
