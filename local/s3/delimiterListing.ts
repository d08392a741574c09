// s3rver lists a delimiter listing wrongly: it never walks a folder below a common prefix, so a bucket holding only
// "300x300/uploads/a.jpg" lists no "300x300/" for Prefix "" and Delimiter "/" (S3 does,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-prefixes.html). The cleanup function lists the size
// prefixes that way (allowAnyResolution), so a delimiter listing is made here from the full listing under the prefix.

interface ListedObject {
    key: string;
}

interface Listing<T extends ListedObject> {
    objects: T[];
    commonPrefixes: string[];
    isTruncated: boolean;
}

/** The part of s3rver's FilesystemStore this relies on. */
export interface ListingStoreLike<T extends ListedObject = ListedObject> {
    listObjects(
        bucket: string,
        options: { delimiter?: string; prefix?: string; maxKeys?: number; startAfter?: string },
    ): Promise<Listing<T>>;
}

export function groupDelimiterListings<T extends ListedObject>(store: ListingStoreLike<T>): void {
    const list = store.listObjects.bind(store);
    store.listObjects = async (bucket, options) => {
        const { delimiter = "", prefix = "", maxKeys = Infinity } = options ?? {};
        if (!delimiter) return list(bucket, options);
        const all = await list(bucket, { ...options, delimiter: "", maxKeys: Infinity });
        const commonPrefixes = new Set<string>();
        const objects: T[] = [];
        let isTruncated = false;
        for (const object of all.objects) {
            const at = object.key.slice(prefix.length).indexOf(delimiter);
            if (at !== -1) commonPrefixes.add(object.key.slice(0, prefix.length + at + delimiter.length));
            else if (objects.length < maxKeys) objects.push(object);
            else {
                isTruncated = true;
                break;
            }
        }
        return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
    };
}
