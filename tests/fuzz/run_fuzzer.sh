#!/bin/sh
# run_fuzzer.sh FUZZER SEED_DIR: runs one libFuzzer target for $VERIFULL_FUZZ_SECONDS
# (default 15) on its seeds. New inputs go to a temporary folder, never into the seeds;
# a crash, leak or sanitizer report fails the run and leaves the reproducer in
# $VERIFULL_FUZZ_ARTIFACTS (default /tmp).
set -eu
fuzzer="$1"; seeds="$2"
work=$(mktemp -d /tmp/verifull-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT
artifacts="${VERIFULL_FUZZ_ARTIFACTS:-/tmp}/"
# libFuzzer exits 77 on a crash by default, which meson reads as "skipped": a finding
# must fail the test, so every error exit is 1.
exec "$fuzzer" -max_total_time="${VERIFULL_FUZZ_SECONDS:-15}" -timeout=10 -rss_limit_mb=2048 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -print_final_stats=1 -artifact_prefix="$artifacts" "$work" "$seeds"
