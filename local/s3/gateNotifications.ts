// The bucket's notification configuration as the gate carries it out: after a write or a delete that succeeded,
// each notification taking that event type is sent its event (local/s3/objectCreatedEvents.ts), asynchronously,
// as S3 does; the gate keeps every delivery in flight so a caller can wait for them all.
import { S3Client } from "@aws-sdk/client-s3";
import {
    announceObjectCreated,
    announceObjectRemoved,
    ObjectCreatedEventName,
    ObjectNotification,
} from "./objectCreatedEvents";

export class BucketNotifications {
    private readonly deliveries = new Set<Promise<void>>();

    constructor(
        private readonly backend: S3Client,
        private readonly notifications: ObjectNotification[],
        private readonly region: string,
    ) {}

    /** ObjectCreated:<eventName> for `key`, to each notification that takes ObjectCreated. */
    created(bucket: string, key: string, eventName: ObjectCreatedEventName): void {
        for (const notification of this.notifications)
            if (notification.events.includes("ObjectCreated"))
                this.track(
                    announceObjectCreated(this.backend, notification, { bucket, key, eventName, region: this.region }),
                );
    }

    /** ObjectRemoved:Delete for each of `keys`, to each notification that takes ObjectRemoved. */
    removed(bucket: string, keys: string[]): void {
        for (const notification of this.notifications)
            if (notification.events.includes("ObjectRemoved"))
                for (const key of keys)
                    this.track(announceObjectRemoved(notification, { bucket, key, region: this.region }));
    }

    /** Resolves once every event sent so far (and any they caused) has been delivered. */
    async settled(): Promise<void> {
        while (this.deliveries.size > 0) await Promise.all([...this.deliveries]);
    }

    private track(delivery: Promise<void>): void {
        this.deliveries.add(delivery);
        void delivery.then(() => this.deliveries.delete(delivery)); // a delivery never rejects
    }
}
