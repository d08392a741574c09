// Delivery through the local CDN: second hits (served from storage, no resize) and single flight (many
// concurrent first requests for one variant resize once).
import { performance } from "perf_hooks";
import { LocalPipeline } from "../local/server";
import { BenchImage } from "./corpus";
import { median, percentile } from "./stats";
import { Figure } from "./figures";

export interface DeliveryResult {
    secondHit: { requests: number; resizes: number; p50Ms: number; p99Ms: number };
    /** Worst resize count over the runs; latencies are medians over the runs. */
    singleFlight: { requests: number; runs: number; worstResizes: number; p50Ms: number; p99Ms: number };
}

/** Uploads as the page does (sign with the API, PUT to the local S3, wait for the check); `url` is where page, API
 *  and CDN are served. */
export async function upload(pipeline: { url: string }, image: BenchImage): Promise<string> {
    const signed = (await (
        await fetch(`${pipeline.url}/api/uploads`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ contentType: image.contentType, size: image.bytes.length }),
        })
    ).json()) as { key: string; statusUrl: string; uploadUrl: string; headers: Record<string, string> };
    const put = await fetch(signed.uploadUrl, {
        method: "PUT",
        headers: signed.headers,
        body: new Uint8Array(image.bytes),
    });
    if (put.status !== 200) throw new Error(`upload failed: ${put.status}`);
    // As the page does: the original is served once the ingest function has checked it.
    for (let attempt = 0; attempt < 1200; attempt++) {
        const answer = await fetch(signed.statusUrl);
        const status = answer.ok
            ? ((await answer.json()) as { status: string; error?: { message: string } })
            : undefined;
        if (status?.status === "ready") return signed.key;
        if (status?.status === "rejected") throw new Error(`upload rejected: ${status.error?.message}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("upload never checked");
}

async function timedGet(url: string): Promise<number> {
    const started = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
    return performance.now() - started;
}

export async function benchDelivery(
    pipeline: LocalPipeline,
    image: BenchImage,
    runs: number,
    requests = 50,
): Promise<DeliveryResult> {
    const key = await upload(pipeline, image);
    const variantUrl = `${pipeline.url}/cdn/640x480/${key}`;
    await timedGet(variantUrl); // first hit: makes the variant
    const before = pipeline.resizeCalls();
    const secondTimes: number[] = [];
    for (let i = 0; i < requests; i++) secondTimes.push(await timedGet(variantUrl));
    const secondResizes = pipeline.resizeCalls() - before;

    const flights: Array<{ resizes: number; times: number[] }> = [];
    for (let run = 0; run < runs; run++) {
        // each run: a fresh original, so every request is a first request
        const freshKey = await upload(pipeline, image);
        const beforeFlight = pipeline.resizeCalls();
        const times = await Promise.all(
            Array.from({ length: requests }, () => timedGet(`${pipeline.url}/cdn/300x300/${freshKey}`)),
        );
        flights.push({ resizes: pipeline.resizeCalls() - beforeFlight, times });
    }
    return {
        secondHit: {
            requests,
            resizes: secondResizes,
            p50Ms: percentile(secondTimes, 50),
            p99Ms: percentile(secondTimes, 99),
        },
        singleFlight: {
            requests,
            runs,
            worstResizes: Math.max(...flights.map((f) => f.resizes)),
            p50Ms: median(flights.map((f) => percentile(f.times, 50))),
            p99Ms: median(flights.map((f) => percentile(f.times, 99))),
        },
    };
}

/** The table's figures: second hits (no resize, latency) and single flight (one resize for concurrent misses). */
export function deliveryFigures(delivery: DeliveryResult): Figure[] {
    const flight = delivery.singleFlight;
    return [
        {
            name: `second hit: resizes in ${delivery.secondHit.requests} requests`,
            value: delivery.secondHit.resizes,
            unit: "",
            target: { op: "==", value: 0 },
        },
        { name: "second hit p50", value: delivery.secondHit.p50Ms, unit: "ms" },
        { name: "second hit p99", value: delivery.secondHit.p99Ms, unit: "ms" },
        {
            name: `single flight: resizes for ${flight.requests} concurrent first requests (worst of ${flight.runs} runs)`,
            value: flight.worstResizes,
            unit: "",
            target: { op: "==", value: 1 },
        },
        { name: `single flight p50 (median of ${flight.runs} runs)`, value: flight.p50Ms, unit: "ms" },
        { name: `single flight p99 (median of ${flight.runs} runs)`, value: flight.p99Ms, unit: "ms" },
    ];
}
