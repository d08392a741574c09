// The local S3: s3rver keeps the objects on a private loopback port; the gate in front of it, on the public
// port, checks signatures and policies as AWS S3 would.
import S3rver from "s3rver";
import { AddressInfo } from "net";
import { uploadCorsRule } from "../../functions/shared/bucketCors";
import { FilesystemStoreLike, makeStoreAtomic } from "./atomicStore";
import { RunningGate, startS3Gate } from "./s3Gate";
import { ObjectCreatedNotification, ObjectNotification } from "./objectCreatedEvents";
import { logStoreWriteErrors } from "./storeErrors";
import { groupDelimiterListings, ListingStoreLike } from "./delimiterListing";
import { LocalCredentials } from "./sigv4Verify";

/** s3rver's built-in key pair; local presigned URLs are signed and verified with it. */
export const LOCAL_CREDENTIALS: LocalCredentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
export const LOCAL_REGION = "us-east-1";

export interface LocalS3Options {
    /** Where s3rver keeps buckets and objects. */
    directory: string;
    bucket: string;
    /** Origins allowed to upload from a browser (bucket CORS), as the stack's ImageBucket sets them. */
    corsOrigins: string[];
    /** The gate's port (0: a free one). */
    port: number;
    /** Verify SigV2 POST forms (an older bucket's behaviour) instead of refusing them: for Ceph's s3-tests only. */
    acceptSigV2Post?: boolean;
    /** ObjectCreated events for keys under a prefix, sent to a function (local mode: the ingest function). */
    objectCreated?: ObjectCreatedNotification;
    /** More notifications (local mode: ObjectCreated and ObjectRemoved under uploads/ to the cleanup function). */
    notifications?: ObjectNotification[];
    now?: () => number;
}

export interface LocalS3 extends RunningGate {
    /** s3rver itself, behind the gate: for reads that need no checks. */
    backendUrl: string;
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
    const s3rver = new S3rver({
        address: "127.0.0.1",
        port: 0,
        silent: true,
        directory: options.directory,
        vhostBuckets: false,
        // No origin, no CORS rule (S3 refuses an empty one).
        configureBuckets: [
            {
                name: options.bucket,
                configs: options.corsOrigins.length > 0 ? [Buffer.from(corsXml(options.corsOrigins))] : [],
            },
        ],
    });
    const store = s3rver.store as FilesystemStoreLike;
    makeStoreAtomic(store);
    groupDelimiterListings(s3rver.store as unknown as ListingStoreLike);
    logStoreWriteErrors(store, (line) => console.error(line)); // a full or read-only data folder fails the write, not the process
    const backend = (await s3rver.run()) as AddressInfo;
    const gate = await startS3Gate({
        port: options.port,
        backendPort: backend.port,
        credentials: LOCAL_CREDENTIALS,
        region: LOCAL_REGION,
        corsOrigins: options.corsOrigins,
        acceptSigV2Post: options.acceptSigV2Post,
        objectCreated: options.objectCreated,
        notifications: options.notifications,
        now: options.now,
    });
    return {
        ...gate,
        backendUrl: `http://127.0.0.1:${backend.port}`,
        async close() {
            await gate.close();
            s3rver.httpServer?.closeAllConnections(); // the gate's keep-alive connections
            await s3rver.close();
        },
    };
}

/** The CORS rule the deployed bucket gets (functions/shared/bucketCors.ts), as S3's XML. */
function corsXml(origins: string[]): string {
    const rule = uploadCorsRule(origins);
    const list = (tag: string, values: string[]) => values.map((value) => `<${tag}>${value}</${tag}>`).join("");
    return (
        `<CORSConfiguration><CORSRule>${list("AllowedOrigin", rule.allowedOrigins)}` +
        `${list("AllowedMethod", rule.allowedMethods)}${list("AllowedHeader", rule.allowedHeaders)}` +
        `${list("ExposeHeader", rule.exposeHeaders)}<MaxAgeSeconds>${rule.maxAgeSeconds}</MaxAgeSeconds></CORSRule></CORSConfiguration>`
    );
}
