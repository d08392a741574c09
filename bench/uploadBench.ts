// Uploads in local mode: a 200 MB file through the local S3 gate as a browser sends it, one presigned PUT against a
// multipart upload with 4 parts in flight (both signed by the presign handler's routes), and the cost of signing one
// part through the handler's /s3 route against raw getSignedUrl (same client, same run).
import { randomBytes } from "crypto";
import { performance } from "perf_hooks";
import { DeleteObjectCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createPresignHandler } from "../functions/presign/presign";
import { HttpEvent } from "../functions/shared/http";
import { STAGING_PREFIX } from "../functions/shared/bucketLayout";
import { Figure } from "./figures";
import { median, round } from "./stats";

const FILE_BYTES = 200_000_000;
const PART_BYTES = 5 * 1024 * 1024;
const PARALLEL_PARTS = 4;

export interface UploadBenchResult {
    singlePut: { mbPerSecond: number };
    multipart: { mbPerSecond: number; parts: number; parallel: number };
    /** multipart throughput / single PUT throughput */
    throughputRatio: number;
    signPart: { handlerMicros: number; rawMicros: number; ratio: number };
}

const event = (method: string, pathWithQuery: string, body?: unknown): HttpEvent => {
    const [rawPath, rawQueryString = ""] = pathWithQuery.split(/\?(.*)/s, 2);
    return {
        rawPath,
        rawQueryString,
        headers: {},
        body: body === undefined ? undefined : JSON.stringify(body),
        requestContext: { http: { method } },
    };
};

/** `gate`: a client of the local S3's gate (what browsers reach); `bucket` exists there. */
export async function benchUpload(gate: S3Client, bucket: string, runs: number): Promise<UploadBenchResult> {
    const handler = createPresignHandler({
        s3: gate,
        log: () => undefined,
        settings: {
            bucket,
            allowedContentTypes: ["image/jpeg"],
            maxUploadBytes: 256 * 1024 * 1024,
            expiresIn: 300,
            cdnUrl: "https://cdn.example",
            requireAuth: false,
        },
    });
    const call = async (method: string, path: string, body?: unknown) => {
        const result = await handler(event(method, path, body));
        if (result.statusCode !== 200) throw new Error(`${method} ${path}: ${result.statusCode} ${result.body}`);
        return JSON.parse(result.body);
    };
    const file = randomBytes(FILE_BYTES);
    const remove = (key: string) => gate.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));

    const singlePut = async () => {
        const signed = await call("POST", "/uploads", { contentType: "image/jpeg", size: FILE_BYTES });
        const started = performance.now();
        const put = await fetch(signed.uploadUrl, { method: "PUT", headers: signed.headers, body: file });
        if (put.status !== 200) throw new Error(`single PUT: ${put.status} ${await put.text()}`);
        const ms = performance.now() - started;
        await remove(signed.key.replace(/^uploads\//, STAGING_PREFIX));
        return ms;
    };

    const multipart = async () => {
        const started = performance.now();
        const { key, uploadId } = await call("POST", "/s3/multipart", { type: "image/jpeg", size: FILE_BYTES });
        const query = `?${new URLSearchParams({ key })}`;
        const count = Math.ceil(FILE_BYTES / PART_BYTES);
        const etags: string[] = new Array(count);
        let next = 0;
        const worker = async () => {
            while (next < count) {
                const index = next++;
                const { url } = await call("GET", `/s3/multipart/${encodeURIComponent(uploadId)}/${index + 1}${query}`);
                const body = file.subarray(index * PART_BYTES, Math.min(FILE_BYTES, (index + 1) * PART_BYTES));
                const put = await fetch(url, { method: "PUT", body });
                if (put.status !== 200) throw new Error(`part ${index + 1}: ${put.status} ${await put.text()}`);
                etags[index] = put.headers.get("etag")!;
            }
        };
        await Promise.all(Array.from({ length: PARALLEL_PARTS }, worker));
        await call("POST", `/s3/multipart/${encodeURIComponent(uploadId)}/complete${query}`, {
            parts: etags.map((ETag, index) => ({ PartNumber: index + 1, ETag })),
        });
        const ms = performance.now() - started;
        await remove(key);
        return ms;
    };

    await singlePut();
    await multipart();
    const singleMs: number[] = [];
    const multipartMs: number[] = [];
    for (let run = 0; run < runs; run++) {
        // interleaved, so both see the same machine
        singleMs.push(await singlePut());
        multipartMs.push(await multipart());
    }
    const mbPerSecond = (ms: number) => FILE_BYTES / 1e6 / (ms / 1000);
    const single = mbPerSecond(median(singleMs));
    const parts = mbPerSecond(median(multipartMs));

    // Signing one part: the handler's route (parse, key and owner checks, presign) against the presigner alone.
    const { key, uploadId } = await call("POST", "/s3/multipart", { type: "image/jpeg" });
    const signPath = `/s3/multipart/${encodeURIComponent(uploadId)}/7?${new URLSearchParams({ key })}`;
    const viaHandler = () => call("GET", signPath);
    const raw = () =>
        getSignedUrl(gate, new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 7 }), {
            expiresIn: 300,
        });
    const perCall = async (work: () => Promise<unknown>, calls = 500) => {
        const started = performance.now();
        for (let i = 0; i < calls; i++) await work();
        return ((performance.now() - started) * 1000) / calls;
    };
    await perCall(viaHandler, 200);
    await perCall(raw, 200);
    const handlerMicros: number[] = [];
    const rawMicros: number[] = [];
    for (let run = 0; run < runs; run++) {
        handlerMicros.push(await perCall(viaHandler));
        rawMicros.push(await perCall(raw));
    }
    await call("DELETE", `/s3/multipart/${encodeURIComponent(uploadId)}?${new URLSearchParams({ key })}`);
    return {
        singlePut: { mbPerSecond: single },
        multipart: { mbPerSecond: parts, parts: Math.ceil(FILE_BYTES / PART_BYTES), parallel: PARALLEL_PARTS },
        throughputRatio: parts / single,
        signPart: {
            handlerMicros: median(handlerMicros),
            rawMicros: median(rawMicros),
            ratio: median(handlerMicros) / median(rawMicros),
        },
    };
}

/** The table's figures: multipart against one PUT through the gate, and signing a part against raw signing. */
export function uploadFigures(upload: UploadBenchResult): Figure[] {
    return [
        {
            name: `200 MB: multipart (${upload.multipart.parts} parts, ${upload.multipart.parallel} in flight) / single PUT throughput (${round(upload.multipart.mbPerSecond)} / ${round(upload.singlePut.mbPerSecond)} MB/s)`,
            value: upload.throughputRatio,
            unit: "×",
        },
        {
            name: `sign one part: handler route / raw getSignedUrl (${round(upload.signPart.handlerMicros, 0)} / ${round(upload.signPart.rawMicros, 0)} µs)`,
            value: upload.signPart.ratio,
            unit: "×",
        },
    ];
}
