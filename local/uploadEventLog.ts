// Local mode's stand-in for the upload events topic: the ingest function publishes to it exactly what it would
// publish to SNS (message = the status JSON, attribute status), one JSON line per event in the data folder, so a
// backend developer can `tail -f` it (s3rver keeps only folders there as buckets, so a file beside them is safe).
import * as fs from "fs";
import * as path from "path";
import type { PublishUploadEvent } from "../functions/ingest/uploadEvents";

export const UPLOAD_EVENTS_FILE = "upload-events.jsonl";

/** The events file of a data folder. */
export function uploadEventsFile(dataDir: string): string {
    return path.join(dataDir, UPLOAD_EVENTS_FILE);
}

/** Appends each event as one line `{"message": "<status JSON>", "attributes": {"status": "ready"}}`; a failed write
 *  rejects, so ingest fails as it would when SNS refuses. */
export function uploadEventLog(dataDir: string): PublishUploadEvent {
    const file = uploadEventsFile(dataDir);
    return (event) => fs.promises.appendFile(file, `${JSON.stringify(event)}\n`);
}
