import { expect } from "chai";
import { limitConcurrency } from "../../local/resizeLimiter";

/** A call the test finishes by hand, so nothing depends on timing. */
interface Pending {
    id: number;
    resolve(value: string): void;
    reject(error: Error): void;
}

function controlled() {
    const started: Pending[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const fn = (id: number) =>
        new Promise<string>((resolve, reject) => {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            const settle = () => {
                inFlight--;
            };
            started.push({
                id,
                resolve: (value) => {
                    settle();
                    resolve(value);
                },
                reject: (error) => {
                    settle();
                    reject(error);
                },
            });
        });
    return { fn, started, inFlight: () => inFlight, maxInFlight: () => maxInFlight };
}

/** Lets every queued promise callback run (microtasks, then one macrotask turn). */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("limitConcurrency (local/resizeLimiter.ts): bounded resizes, the rest queued", () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    beforeEach(() => {
        unhandled.length = 0;
        process.on("unhandledRejection", onUnhandled);
    });
    afterEach(() => {
        process.off("unhandledRejection", onUnhandled);
    });

    it("never runs more than n of 20 concurrent calls at once, queues the rest and completes every one", async () => {
        const work = controlled();
        const limited = limitConcurrency(work.fn, 2);
        const results = Array.from({ length: 20 }, (_, i) => limited(i));
        await flush();
        expect(work.started.map((call) => call.id)).to.deep.equal([0, 1]); // 18 queued, none refused
        while (work.started.length > 0) {
            // finish what runs now, then let the queue move
            for (const call of work.started.splice(0)) call.resolve(`done ${call.id}`);
            await flush();
        }
        expect(await Promise.all(results)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `done ${i}`));
        expect(work.maxInFlight()).to.equal(2);
        expect(unhandled).to.deep.equal([]);
    });

    it("starts queued calls in the order they arrived (FIFO), whichever running call finishes first", async () => {
        const work = controlled();
        const limited = limitConcurrency(work.fn, 2);
        const results = Array.from({ length: 8 }, (_, i) => limited(i));
        await flush();
        const order: number[] = [];
        while (work.started.length > 0) {
            order.push(...work.started.map((call) => call.id).filter((id) => !order.includes(id)));
            // Finish the most recently started call first: the next to start must still be the oldest waiter.
            const last = work.started.pop()!;
            last.resolve(String(last.id));
            await flush();
        }
        expect(order).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
        await Promise.all(results);
    });

    it("hands a rejection to its own caller only, frees the slot and leaves nothing unhandled", async () => {
        const work = controlled();
        const limited = limitConcurrency(work.fn, 1);
        const failing = limited(0);
        const queued = limited(1);
        await flush();
        expect(work.started.map((call) => call.id)).to.deep.equal([0]);
        work.started.shift()!.reject(new Error("not an image"));
        let reason: unknown;
        await failing.catch((error) => {
            reason = error;
        });
        expect((reason as Error).message).to.equal("not an image");
        await flush();
        expect(work.started.map((call) => call.id)).to.deep.equal([1]); // the queue moved on
        work.started.shift()!.resolve("ok");
        expect(await queued).to.equal("ok");
        expect(unhandled).to.deep.equal([]);
    });

    it("turns a synchronous throw into the caller's rejection and frees the slot", async () => {
        let calls = 0;
        const limited = limitConcurrency(async (fail: boolean) => {
            calls++;
            if (fail) throw new Error("bad key");
            return "ok";
        }, 1);
        const thrower = (fail: boolean): Promise<string> => {
            if (fail) throw new Error("thrown before any promise");
            return Promise.resolve("ok");
        };
        const limitedThrower = limitConcurrency(thrower, 1);
        expect(await limitedThrower(true).catch((error: Error) => error.message)).to.equal("thrown before any promise");
        expect(await limitedThrower(false)).to.equal("ok");
        expect(await limited(true).catch((error: Error) => error.message)).to.equal("bad key");
        expect(await limited(false)).to.equal("ok");
        expect(calls).to.equal(2);
        await flush();
        expect(unhandled).to.deep.equal([]);
    });

    it("refuses a bound that is not a whole number of at least 1", () => {
        for (const bad of [0, -1, 1.5, NaN]) expect(() => limitConcurrency(async () => 1, bad)).to.throw(RangeError);
    });
});
