// The CloudFront Functions runtime, as far as the local CDN needs it: the viewer-request function's code runs in a
// vm context that has the language's built-ins and nothing of Node's (no require, process, Buffer, timers or
// network), refuses eval / new Function, and runs the code in strict mode (always on there), as the runtime does:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html
// The event crosses as JSON, so the function sees only objects of its own context, shaped as CloudFront's
// (lowercase header names, { value } per header):
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html
import * as vm from "vm";

export interface ViewerRequest {
    uri: string;
    method?: string;
    /** Header name (any case) → value; repeated headers as an array. */
    headers: Record<string, string | string[] | undefined>;
}

/** Compiles the function's code once; the answer runs its handler on one event (any JSON) and returns what the
 *  handler returned, as JSON. */
export function compileViewerRequest(code: string): (event: unknown) => unknown {
    const context = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false } });
    new vm.Script(`"use strict";\n${code}`, { filename: "cloudfront-function.js" }).runInContext(context);
    const invoke = new vm.Script("JSON.stringify(handler(JSON.parse(__event)))", { filename: "invoke.js" });
    return (event) => {
        context.__event = JSON.stringify(event);
        const answer = invoke.runInContext(context);
        return answer === undefined ? undefined : JSON.parse(String(answer));
    };
}

/** The URI the function leaves for this request (it returns the request, changed or not). */
export function viewerRequestFunction(code: string): (request: ViewerRequest) => string {
    const run = compileViewerRequest(code);
    return (request) => {
        const uri = (run(cloudFrontEvent(request)) as { uri?: unknown } | undefined)?.uri;
        if (typeof uri !== "string") throw new Error("the viewer-request function returned no request URI");
        return uri;
    };
}

function cloudFrontEvent(request: ViewerRequest) {
    const headers: Record<string, { value: string; multiValue?: { value: string }[] }> = {};
    for (const [name, value] of Object.entries(request.headers)) {
        if (value === undefined) continue;
        const values = Array.isArray(value) ? value : [value];
        if (values.length === 0) continue;
        headers[name.toLowerCase()] = {
            value: values[0],
            ...(values.length > 1 ? { multiValue: values.map((v) => ({ value: v })) } : {}),
        };
    }
    return {
        version: "1.0",
        context: { eventType: "viewer-request" },
        viewer: { ip: "127.0.0.1" },
        request: { method: request.method ?? "GET", uri: request.uri, querystring: {}, headers, cookies: {} },
    };
}
