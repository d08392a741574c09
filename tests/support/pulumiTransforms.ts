// Runs a transform the program registered, as the engine does for each child of a (remote) component: a gRPC call
// to the program's callback server with a TransformRequest, answered with a TransformResponse. Under the mocks
// the engine never calls it, so a spec does, with the resource the component would register.
import * as grpc from "@grpc/grpc-js";
import * as gstruct from "google-protobuf/google/protobuf/struct_pb";
import { RegisteredCallback } from "./pulumiMocks";

const callbackPb = require("@pulumi/pulumi/proto/callback_pb");
const callbackGrpc = require("@pulumi/pulumi/proto/callback_grpc_pb");
const resourcePb = require("@pulumi/pulumi/proto/resource_pb");

export interface TransformInput {
    type: string;
    name: string;
    custom: boolean;
    props: Record<string, unknown>;
    ignoreChanges?: string[];
}

export interface TransformOutput {
    props: Record<string, unknown>;
    ignoreChanges: string[];
}

export async function runTransform(callback: RegisteredCallback, resource: TransformInput): Promise<TransformOutput> {
    const options = new resourcePb.TransformResourceOptions();
    options.setIgnoreChangesList(resource.ignoreChanges ?? []);
    const request = new resourcePb.TransformRequest();
    request.setType(resource.type);
    request.setName(resource.name);
    request.setCustom(resource.custom);
    request.setParent("");
    request.setProperties(gstruct.Struct.fromJavaScript(resource.props as Record<string, gstruct.JavaScriptValue>));
    request.setOptions(options);
    const invoke = new callbackPb.CallbackInvokeRequest();
    invoke.setToken(callback.token);
    invoke.setRequest(request.serializeBinary());

    const client = new callbackGrpc.CallbacksClient(callback.target, grpc.credentials.createInsecure());
    try {
        const answer: any = await new Promise((resolve, reject) =>
            client.invoke(invoke, (error: Error | null, response: unknown) =>
                error ? reject(error) : resolve(response),
            ),
        );
        const response = resourcePb.TransformResponse.deserializeBinary(answer.getResponse_asU8());
        return {
            props: response.getProperties()?.toJavaScript() ?? {},
            ignoreChanges: response.getOptions()?.getIgnoreChangesList() ?? [],
        };
    } finally {
        client.close();
    }
}
