// A rejection nobody observes ends the Node process: the Lambda runtime, or the whole `npm start` server.
// Each handler gets an S3 client that fails at one of its await points after another; every time the handler
// must answer JSON and no 'unhandledRejection' may fire.
import { expect } from "chai";
import { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { createResizeHandler } from "../../functions/resize/resize";
import { createPresignHandler } from "../../functions/presign/presign";
import { createIngestHandler, IngestDependencies } from "../../functions/ingest/ingest";
import type { IngestSettings } from "../../functions/ingest/settings";
import { createCleanupHandler } from "../../functions/cleanup/cleanup";
import { HttpEvent, HttpResult } from "../../functions/shared/http";
import { httpEvent } from "../support/events";
import { jpegBytes } from "../support/images";

type Failure = "send" | "body";

/** Records every unhandled rejection while `run` and a few ticks after it run. */
async function unhandledDuring<T>(run: () => Promise<T>): Promise<{ value: T; unhandled: unknown[] }> {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    // Mocha's own listener would turn the event into a failure of some other test: ours alone while this runs.
    const others = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", listener);
    try {
        const value = await run();
        await new Promise((resolve) => setTimeout(resolve, 60)); // late rejections (the slow calls) land here
        return { value, unhandled };
    } finally {
        process.removeListener("unhandledRejection", listener);
        for (const other of others) process.on("unhandledRejection", other as NodeJS.UnhandledRejectionListener);
    }
}

const internalError = () =>
    Object.assign(new Error("We encountered an internal error."), {
        name: "InternalError",
        $metadata: { httpStatusCode: 500 },
    });
const noSuchKey = () =>
    Object.assign(new Error("The specified key does not exist."), {
        name: "NoSuchKey",
        $metadata: { httpStatusCode: 404 },
    });
const settleAfter = <T>(ms: number, settle: () => T): Promise<Awaited<T>> =>
    new Promise((resolve, reject) =>
        setTimeout(async () => {
            try {
                resolve(await settle());
            } catch (error) {
                reject(error);
            }
        }, ms),
    );

/**
 * A bucket with the original and no variant. Call `failAt` (1-based) fails fast, as `failure` says; every other
 * call answers late, so a fast failure lands while the handler awaits something else.
 */
function failingS3(original: Buffer, failAt: number, failure: Failure) {
    let calls = 0;
    const send = (command: { constructor: { name: string }; input: { Key?: string } }) => {
        calls++;
        const failing = calls === failAt;
        if (failing && failure === "send")
            return settleAfter(1, () => {
                throw internalError();
            });
        if (failing) {
            // found, but its body breaks off
            const body = {
                transformToByteArray: () =>
                    settleAfter(1, () => {
                        throw internalError();
                    }),
            };
            return settleAfter(1, () => ({ Body: body, ContentType: "image/jpeg", ContentLength: original.length }));
        }
        if (command.constructor.name === "PutObjectCommand") return settleAfter(20, () => ({}));
        if (!command.input.Key?.startsWith("uploads/"))
            return settleAfter(20, () => {
                throw noSuchKey();
            });
        const body = { transformToByteArray: async () => new Uint8Array(original) };
        return settleAfter(20, () => ({ Body: body, ContentType: "image/jpeg", ContentLength: original.length }));
    };
    return { client: { send } as unknown as S3Client, calls: () => calls };
}

/** A bucket holding one staged upload for the ingest function; call `failAt` fails fast, the others answer late. */
function stagedS3(upload: Buffer, failAt: number, failure: Failure) {
    let calls = 0;
    const send = (command: { constructor: { name: string } }) => {
        calls++;
        if (calls === failAt && failure === "send")
            return settleAfter(1, () => {
                throw internalError();
            });
        if (command.constructor.name !== "GetObjectCommand") return settleAfter(20, () => ({}));
        const body = {
            transformToByteArray:
                calls === failAt
                    ? () =>
                          settleAfter(1, () => {
                              throw internalError();
                          })
                    : async () => new Uint8Array(upload),
        };
        return settleAfter(calls === failAt ? 1 : 20, () => ({
            Body: body,
            ContentType: "image/jpeg",
            ContentLength: upload.length,
        }));
    };
    return { client: { send } as unknown as S3Client, calls: () => calls };
}

/** A bucket where one original was removed, its variant and status left; call `failAt` fails fast, the others
 *  answer late (so a failure lands while the handler awaits a call running beside it). */
function removedOriginalS3(failAt: number) {
    let calls = 0;
    const send = (command: { constructor: { name: string }; input: { Prefix?: string } }) => {
        calls++;
        if (calls === failAt)
            return settleAfter(1, () => {
                throw internalError();
            });
        if (command.constructor.name !== "ListObjectsV2Command") return settleAfter(20, () => ({ Errors: [] }));
        const prefix = command.input.Prefix ?? "";
        return settleAfter(20, () =>
            prefix.startsWith("uploads/") ? {} : { Contents: [{ Key: prefix, LastModified: new Date(0) }] },
        );
    };
    return { client: { send } as unknown as S3Client, calls: () => calls };
}

function expectJsonError(result: HttpResult, status: number) {
    expect(result.statusCode, result.body).to.equal(status);
    expect(result.headers["content-type"]).to.match(/^application\/json/);
    expect(JSON.parse(result.body).error.code).to.be.a("string");
}

describe("no unhandled rejection can end a handler process (functions/resize/resize.ts, functions/presign/presign.ts, functions/ingest/ingest.ts, functions/cleanup/cleanup.ts)", () => {
    let original: Buffer;
    before(async () => {
        original = await jpegBytes(400, 300);
    });

    const resizeWith = (s3: S3Client) =>
        createResizeHandler({
            s3,
            log: () => undefined,
            settings: {
                metricsNamespace: "image-pipeline/test",
                bucket: "b",
                uploadPrefix: "uploads/",
                allowedResolutions: ["300x300"],
                maxDimension: 2048,
                fit: "cover",
                gravity: "centre",
                quality: 80,
                limitInputPixels: 50_000_000,
                cdnUrl: "https://cdn.example.com",
            },
        });

    it("the fake bucket makes the variant when nothing fails (three S3 calls: two reads at once, one write)", async () => {
        const s3 = failingS3(original, 0, "send");
        const result = await resizeWith(s3.client)(httpEvent("GET", "/300x300/uploads/a.jpg"));
        expect(result.statusCode, result.body).to.equal(200);
        expect(s3.calls()).to.equal(3);
    });

    for (const path of ["/300x300/uploads/a.jpg", "/resize?key=300x300/uploads/a.jpg"]) {
        for (const failure of ["send", "body"] as const) {
            for (const failAt of [1, 2, 3]) {
                if (failure === "body" && failAt === 3) continue; // the third call is the PutObject: no body to read
                it(`resize GET ${path}: S3 call ${failAt} failing (${failure}) → JSON 500, no unhandled rejection`, async () => {
                    const s3 = failingS3(original, failAt, failure);
                    const { value, unhandled } = await unhandledDuring(() =>
                        resizeWith(s3.client)(httpEvent("GET", path)),
                    );
                    expect(unhandled.map(String)).to.deep.equal([]);
                    expectJsonError(value, 500);
                });
            }
        }
    }

    const ingestWith = (
        s3: S3Client,
        overrides: { settings?: Partial<IngestSettings>; publish?: IngestDependencies["publish"] } = {},
    ) =>
        createIngestHandler({
            s3,
            log: () => undefined,
            settings: {
                metricsNamespace: "image-pipeline/test",
                bucket: "b",
                allowedContentTypes: ["image/jpeg"],
                maxUploadBytes: 10_000_000,
                limitInputPixels: 50_000_000,
                allowedResolutions: ["300x300"],
                ...overrides.settings,
            },
            ...(overrides.publish ? { publish: overrides.publish } : {}),
        });
    const stagedEvent = {
        Records: [
            {
                eventName: "ObjectCreated:Put",
                s3: { bucket: { name: "b" }, object: { key: "incoming/0b7e6f3a-2c1d-4e5f-8a9b-0c1d2e3f4a5b.jpg" } },
            },
        ],
    };

    it("the fake bucket is ingested when nothing fails (five S3 calls: read, pending, original, ready, delete)", async () => {
        const s3 = stagedS3(original, 0, "send");
        await ingestWith(s3.client)(stagedEvent);
        expect(s3.calls()).to.equal(5);
    });

    for (const failure of ["send", "body"] as const) {
        for (const failAt of [1, 2, 3, 4, 5]) {
            if (failure === "body" && failAt !== 1) continue; // only the read has a body
            it(`ingest: S3 call ${failAt} failing (${failure}) → the invocation fails (Lambda retries), no unhandled rejection`, async () => {
                const s3 = stagedS3(original, failAt, failure);
                const { value, unhandled } = await unhandledDuring(() =>
                    ingestWith(s3.client)(stagedEvent).then(
                        () => "succeeded",
                        (error: Error) => error.message,
                    ),
                );
                expect(unhandled.map(String)).to.deep.equal([]);
                expect(value).to.equal("ingest failed for 1 of 1 records");
            });
        }
    }

    it("ingest: an eager variant's store failing → the upload is still ingested (six S3 calls), no unhandled rejection", async () => {
        // read, pending, original, variant (fails), ready, delete
        const s3 = stagedS3(original, 4, "send");
        const eager = ingestWith(s3.client, {
            settings: {
                eager: { resolutions: ["300x300"], fit: "cover", gravity: "centre", quality: 80, formats: [] },
            },
        });
        const { value, unhandled } = await unhandledDuring(() =>
            eager(stagedEvent).then(
                () => "succeeded",
                (error: Error) => error.message,
            ),
        );
        expect(unhandled.map(String)).to.deep.equal([]);
        expect([value, s3.calls()]).to.deep.equal(["succeeded", 6]);
    });

    it("ingest: the ready event's publish rejecting → the invocation fails (Lambda retries), no unhandled rejection", async () => {
        const s3 = stagedS3(original, 0, "send");
        const publishing = ingestWith(s3.client, {
            publish: () =>
                settleAfter(1, () => {
                    throw internalError();
                }),
        });
        const { value, unhandled } = await unhandledDuring(() =>
            publishing(stagedEvent).then(
                () => "succeeded",
                (error: Error) => error.message,
            ),
        );
        expect(unhandled.map(String)).to.deep.equal([]);
        expect(value).to.equal("ingest failed for 1 of 1 records");
        expect(s3.calls(), "the staged object is not deleted: the retry finds it").to.equal(4);
    });

    const cleanupWith = (s3: S3Client) =>
        createCleanupHandler({
            s3,
            cloudfront: { send: () => settleAfter(5, () => ({})) },
            log: () => undefined,
            settings: {
                metricsNamespace: "image-pipeline/test",
                bucket: "b",
                distributionId: "E1",
                allowedResolutions: ["300x300"],
            },
        });
    const removedEvent = {
        Records: [
            {
                eventName: "ObjectRemoved:Delete",
                s3: { bucket: { name: "b" }, object: { key: "uploads/0b7e6f3a-2c1d-4e5f-8a9b-0c1d2e3f4a5b.jpg" } },
            },
        ],
    };

    it("the fake bucket is cleaned up when nothing fails (eight S3 calls: the original and three variant keys (plain, avif, webp) listed, the variants' three HEADs, one delete)", async () => {
        const s3 = removedOriginalS3(0);
        await cleanupWith(s3.client)(removedEvent);
        expect(s3.calls()).to.equal(8);
    });

    for (const failAt of [1, 2, 3, 4, 5, 6, 7, 8]) {
        it(`cleanup: S3 call ${failAt} failing → the invocation fails (Lambda retries), no unhandled rejection`, async () => {
            const s3 = removedOriginalS3(failAt);
            const { value, unhandled } = await unhandledDuring(() =>
                cleanupWith(s3.client)(removedEvent).then(
                    () => "succeeded",
                    (error: Error) => error.message,
                ),
            );
            expect(unhandled.map(String)).to.deep.equal([]);
            expect(value).to.equal("cleanup failed for 1 of 1 records");
        });
    }

    for (const [name, broken] of [
        [
            "credentials",
            {
                credentials: () =>
                    settleAfter(1, () => {
                        throw internalError();
                    }),
            },
        ],
        [
            "region",
            {
                region: () =>
                    settleAfter(1, () => {
                        throw internalError();
                    }),
                credentials: { accessKeyId: "A", secretAccessKey: "S" },
            },
        ],
    ] as const) {
        for (const [method, route, body] of [
            ["POST", "/uploads", { contentType: "image/png" }],
            ["POST", "/uploads/form", { contentType: "image/png" }],
            ["GET", "/uploads", undefined],
            ["POST", "/s3/multipart", { type: "image/png" }],
            ["GET", "/s3/params?type=image%2Fpng", undefined],
        ] as const) {
            it(`presign ${method} ${route} with the client's ${name} rejecting → JSON 500, no unhandled rejection`, async () => {
                const s3 = new S3Client({ region: "us-east-1", ...broken } as S3ClientConfig);
                const handler = createPresignHandler({
                    s3,
                    log: () => undefined,
                    settings: {
                        bucket: "b",
                        allowedContentTypes: ["image/png"],
                        maxUploadBytes: 1000,
                        expiresIn: 300,
                        cdnUrl: "https://cdn.example.com",
                        requireAuth: false,
                    },
                });
                const event: HttpEvent = httpEvent(method, route, {
                    body,
                    headers: body ? { "content-type": "application/json" } : { "x-extension": "png" },
                });
                const { value, unhandled } = await unhandledDuring(() => handler(event));
                expect(unhandled.map(String)).to.deep.equal([]);
                expectJsonError(value, 500);
            });
        }
    }
});
