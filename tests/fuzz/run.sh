#!/bin/bash
# Run one libFuzzer target under CTest: replay its seed corpus, then explore
# for a bounded number of runs and a bounded time. A crash, a leak or a
# sanitizer report makes libFuzzer exit non-zero and fails the test.
# Usage: run.sh FUZZER SEED_CORPUS_DIR WORK_DIR
set -eu
fuzzer=$1 seeds=$2 work=$3
runs=${LS_FUZZ_RUNS:-20000}
rm -rf "$work"
mkdir -p "$work/corpus"
if [ -d "$seeds" ]; then
	cp -r "$seeds"/. "$work/corpus/"
fi
cd "$work"
# -max_total_time bounds a slow machine; -runs bounds a fast one.
# libFuzzer reports a crash with exit code 77 by default, which CTest would
# read as "skipped": make every finding a plain failure.
exec "$fuzzer" -runs="$runs" -max_total_time=60 -max_len=4096 -timeout=10 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 "$work/corpus"
