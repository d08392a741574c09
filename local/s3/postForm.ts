// Reads a browser POST upload's multipart form as S3 does, and writes the form s3rver is sent:
// https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
// - the file is the part named "file" (with or without filename=); other parts are fields even when sent with
//   filename=; fields after the file are ignored; a second file part is refused;
// - field names are case-insensitive: they are forwarded lower-cased (s3rver only knows "key");
// - "${filename}" in the key is replaced by the file's name, and the stored key is the replaced one;
// - at most 20 KB of form data may come before the file (S3: MaxPostPreDataLengthExceeded).
import { randomBytes } from "crypto";
import * as http from "http";
import busboy from "busboy";
import { S3Failure, s3Failure } from "./s3Failure";

export const MAX_PRE_DATA_BYTES = 20 * 1024;

export interface PostForm {
    /** Fields before the file, names as sent. */
    fields: Array<[string, string]>;
    file: Buffer;
    fileName: string;
    fileType: string | undefined;
}

export function isPostForm(method: string | undefined, rawPath: string, contentType: string | undefined): boolean {
    // Media types are case-insensitive (RFC 9110 §8.3.1): "Multipart/Form-Data" is a form too.
    return (
        method === "POST" && /^\/[^/]+\/?$/.test(rawPath) && /^multipart\/form-data\s*(;|$)/i.test(contentType ?? "")
    );
}

export function readPostForm(headers: http.IncomingHttpHeaders, body: Buffer): Promise<PostForm | S3Failure> {
    const malformed = s3Failure(
        400,
        "MalformedPOSTRequest",
        "The body of your POST request is not well-formed multipart/form-data.",
    );
    return new Promise((resolve) => {
        const fields: Array<[string, string]> = [];
        let file: Omit<PostForm, "fields"> | undefined;
        let files = 0;
        let preDataBytes = 0;
        let failure: S3Failure | undefined;
        const pending: Array<Promise<void>> = [];
        let parser: busboy.Busboy;
        try {
            parser = busboy({
                headers: {
                    ...headers,
                    "content-type": (headers["content-type"] ?? "").replace(
                        /^multipart\/form-data/i,
                        "multipart/form-data",
                    ),
                },
                limits: { fields: 1000, fieldSize: 1024 * 1024, files: 1000 },
            });
        } catch {
            resolve(malformed);
            return;
        }
        const addField = (name: string, value: string, known = false) => {
            if (files > 0 && !known) return; // S3 ignores fields after the file
            preDataBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
            if (preDataBytes > MAX_PRE_DATA_BYTES) {
                failure ??= s3Failure(
                    400,
                    "MaxPostPreDataLengthExceeded",
                    "Your POST request fields preceeding the upload file was too large.",
                );
            }
            fields.push([name, value]);
        };
        /** Counts a file part when it starts, so the fields after it are known to come after it. */
        const startFile = (): boolean => {
            files += 1;
            if (files > 1)
                failure ??= s3Failure(400, "InvalidArgument", "POST requires exactly one file upload per request.");
            return files === 1;
        };
        parser.on("field", (name, value, info) => {
            if (name === "file") {
                if (startFile()) file = { file: Buffer.from(value, "utf8"), fileName: "", fileType: info.mimeType };
            } else addField(name, value);
        });
        parser.on("file", (name, stream, info) => {
            const chunks: Buffer[] = [];
            const isFile = name === "file" && startFile();
            const beforeFile = files === 0;
            pending.push(
                new Promise((done) => {
                    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
                    stream.on("close", () => done());
                    stream.on("end", () => {
                        const content = Buffer.concat(chunks);
                        if (isFile) file = { file: content, fileName: info.filename ?? "", fileType: info.mimeType };
                        else if (name !== "file" && beforeFile) addField(name, content.toString("utf8"), true);
                    });
                }),
            );
        });
        parser.on("close", () => {
            void Promise.all(pending).then(() => {
                if (failure) resolve(failure);
                else if (!file)
                    resolve(s3Failure(400, "InvalidArgument", "POST requires exactly one file upload per request."));
                else resolve({ fields, ...file });
            });
        });
        parser.on("error", () => resolve(malformed));
        parser.end(body);
    });
}

/** The key S3 stores: "${filename}" replaced by the uploaded file's name. */
export function substitutedKey(key: string, fileName: string): string {
    return key.split("${filename}").join(fileName);
}

/** The form s3rver is sent: lower-cased field names, the substituted key, then the one file. */
export function rewritePostForm(form: PostForm): { contentType: string; body: Buffer } {
    const boundary = `----s3gate${randomBytes(12).toString("hex")}`;
    const quote = (text: string) => text.replace(/["\r\n\\]/g, (c) => encodeURIComponent(c));
    const parts: Buffer[] = [];
    for (const [name, value] of form.fields) {
        const lower = name.toLowerCase();
        const forwarded = lower === "key" ? substitutedKey(value, form.fileName) : value;
        parts.push(
            Buffer.from(
                `--${boundary}\r\nContent-Disposition: form-data; name="${quote(lower)}"\r\n\r\n${forwarded}\r\n`,
                "utf8",
            ),
        );
    }
    parts.push(
        Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quote(form.fileName || "file")}"\r\n` +
                `Content-Type: application/octet-stream\r\n\r\n`,
            "utf8",
        ),
        form.file,
        Buffer.from(`\r\n--${boundary}--\r\n`, "utf8"),
    );
    return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(parts) };
}
