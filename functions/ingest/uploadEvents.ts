// The "image ready / rejected / failed" event for the user's own backend: the status JSON as the message, its
// status as a message attribute so subscribers can filter on it (an SNS subscription filter policy on message
// attributes: https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html). On AWS it goes to the stack's SNS topic;
// local mode hands the same event to a local sink (local/uploadEventLog.ts).
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { UploadStatus } from "../shared/uploadStatus";

/** The one message attribute: "ready", "rejected" or "failed" (functions/ingestFailure/). */
export const STATUS_ATTRIBUTE = "status";

export interface UploadEvent {
    /** The status JSON, exactly as stored in status/<id>.json. */
    message: string;
    attributes: Record<typeof STATUS_ATTRIBUTE, string>;
}

/** Resolves once the event is accepted; rejects when it could not be (ingest then fails, so it is retried). */
export type PublishUploadEvent = (event: UploadEvent) => Promise<void>;

export function uploadEventOf(status: UploadStatus): UploadEvent {
    return { message: JSON.stringify(status), attributes: { [STATUS_ATTRIBUTE]: status.status } };
}

/** Publishes to an SNS topic (Publish over HTTPS with SigV4, as a topic with SSE requires). */
export function snsPublisher(sns: SNSClient, topicArn: string): PublishUploadEvent {
    return async (event) => {
        await sns.send(
            new PublishCommand({
                TopicArn: topicArn,
                Message: event.message,
                MessageAttributes: Object.fromEntries(
                    Object.entries(event.attributes).map(([name, value]) => [
                        name,
                        { DataType: "String", StringValue: value },
                    ]),
                ),
            }),
        );
    };
}
