#!/usr/bin/env bash
# Runs the POST-object and presigned-URL subsets of Ceph's S3 conformance suite (s3-tests) against the local S3
# gate and against bare s3rver, and prints how many tests pass on each. Not part of `npm test`.
#
#   scripts/s3-tests.sh /path/to/s3-tests          (a checkout of github.com/ceph/s3-tests; never vendored here)
#
# Needs python3 with boto3, pytest, munch, isodate, pytz, requests and yaml (on Debian:
# apt-get install python3-boto3 python3-pytest python3-munch python3-isodate python3-tz python3-requests python3-yaml).
set -euo pipefail
SUITE="${1:?usage: scripts/s3-tests.sh <s3-tests directory> [extra pytest -k expression]}"
SUITE="$(cd "$SUITE" && pwd)"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
# The POST-object tests (test_post_object_*) and the presigned-URL tests (presign*, X-Amz-Expires).
SUBSETS=("test_post_object" "presign or x_amz_expires")
subset_name() { case "$1" in test_post_object) echo post-object ;; *) echo presign ;; esac; }
WORK="$(mktemp -d)"
RESULTS_DIR="${RESULTS_DIR:-}" # set it to keep each run's pytest output
trap 'rm -rf "$WORK"' EXIT

run_against() { # mode subset → prints "passed failed"
    local mode="$1" subset="$2" port pid
    local tag="$mode-$(subset_name "$subset")"
    rm -f "$WORK/in-$tag" "$WORK/port-$tag"
    mkfifo "$WORK/in-$tag"
    (cd "$REPO" && exec npx ts-node -T scripts/s3-tests/serve.ts "$mode" < "$WORK/in-$tag" > "$WORK/port-$tag") &
    pid=$!
    exec {keep}> "$WORK/in-$tag"
    for _ in $(seq 1 120); do [ -s "$WORK/port-$tag" ] && break; sleep 0.5; done
    port="$(head -1 "$WORK/port-$tag")"
    sed "s/@PORT@/$port/" "$REPO/scripts/s3-tests/s3tests.conf.in" > "$WORK/s3tests-$mode.conf"
    (cd "$SUITE" && S3TEST_CONF="$WORK/s3tests-$mode.conf" AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
        PYTHONPATH="$SUITE:$REPO/scripts/s3-tests" "$PYTHON" -m pytest -q -p no:cacheprovider -p s3rver_compat s3tests/functional/test_s3.py -k "$subset" -rA > "$WORK/result-$tag.txt" 2>&1 || true)
    exec {keep}>&-
    wait "$pid" || true
    local passed failed
    passed="$(grep -c '^PASSED ' "$WORK/result-$tag.txt" || true)"
    failed="$(grep -Ec '^(FAILED|ERROR) ' "$WORK/result-$tag.txt" || true)"
    if [ -n "$RESULTS_DIR" ]; then cp "$WORK/result-$tag.txt" "$RESULTS_DIR/"; fi
    echo "$passed $failed"
}

for subset in "${SUBSETS[@]}"; do
    for mode in gate bare; do
        read -r passed failed < <(run_against "$mode" "$subset")
        printf '%-12s %-5s %3d passed of %3d\n' "$(subset_name "$subset")" "$mode" "$passed" "$((passed + failed))"
    done
done
