# pytest plugin for scripts/s3-tests.sh: s3rver has no ListObjectVersions, which the suite's bucket cleanup uses
# (s3tests/functional/__init__.py list_versions). In an unversioned bucket every object is its only version, so
# the cleanup lists objects instead. Nothing else in the suite is changed.
import s3tests.functional as functional


def list_objects_as_versions(client, bucket, batch_size):
    kwargs = {'Bucket': bucket, 'MaxKeys': batch_size}
    while True:
        listing = client.list_objects_v2(**kwargs)
        objs = listing.get('Contents', [])
        if objs:
            yield [{'Key': o['Key']} for o in objs]
        if not listing.get('IsTruncated'):
            return
        kwargs['ContinuationToken'] = listing['NextContinuationToken']


functional.list_versions = list_objects_as_versions
