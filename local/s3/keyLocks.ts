// Conditional writes (If-None-Match: *) of one key, one at a time: of two concurrent conditional writes of a key,
// S3 lets one win (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html), so the gate's
// check and s3rver's write hold the key together.

/** One holder per key at a time: acquire() resolves with the release function once the key is free. */
export class KeyLocks {
    private readonly tails = new Map<string, Promise<void>>();

    async acquire(key: string): Promise<() => void> {
        const previous = this.tails.get(key) ?? Promise.resolve();
        let release!: () => void;
        const held = new Promise<void>((resolve) => {
            release = resolve;
        });
        const tail = previous.then(() => held);
        this.tails.set(key, tail);
        await previous;
        let released = false;
        return () => {
            if (released) return;
            released = true;
            release();
            if (this.tails.get(key) === tail) this.tails.delete(key);
        };
    }
}
