// The part of s3rver's API local mode uses (the package ships no types).
declare module "s3rver" {
    import { AddressInfo } from "net";
    import { Server } from "http";
    interface S3rverOptions {
        address?: string;
        port?: number;
        silent?: boolean;
        directory?: string;
        vhostBuckets?: boolean;
        resetOnClose?: boolean;
        configureBuckets?: Array<{ name: string; configs?: Buffer[] }>;
    }
    export default class S3rver {
        constructor(options: S3rverOptions);
        /** Set once run() has started listening. */
        httpServer?: Server;
        /** The FilesystemStore, set by the constructor (local/s3/atomicStore.ts wraps its writes). */
        store: unknown;
        run(): Promise<AddressInfo>;
        close(): Promise<void>;
        reset(): void;
    }
}
