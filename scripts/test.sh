#!/bin/bash
# The whole test suite, as CI runs it (.ci/run calls exactly this):
#   1. install the Debian dependencies
#   2. build with gcc and run every ctest entry, strictly: a skip is a failure (this
#      includes the cgroup v2 tests in a QEMU guest, label vm)
#   3. build again with clang -fsanitize=address,undefined and run the suite again
#   4. run the libFuzzer target for a short while over its corpus
# Run as root: integration tests start real sandboxes.
set -euo pipefail
cd "$(dirname "$0")/.."
export NUCLEUS_TEST_STRICT=1
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
JOBS=$(nproc)

./scripts/install-deps.sh
# What only the tests need, so the quick start stays small: QEMU, a static busybox and
# the guest kernel of the cgroup v2 tests (label vm; a cache under /var/cache/nucleus-vm).
./tests/vm/setup.sh

# ctest counts a skipped test (exit 77) as passed. Every test fails instead of skipping
# under NUCLEUS_TEST_STRICT=1, but one that skips some other way would slip through:
# so any test that did not run fails the suite, and so does a run of no tests at all.
strict_ctest() { # BUILD_DIR [ctest args]
    local dir=$1 log
    shift
    log=$(mktemp)
    (cd "$dir" && ctest --output-on-failure --no-tests=error "$@") 2>&1 | tee "$log"
    if grep -q "The following tests did not run" "$log"; then
        rm -f "$log"
        echo "== FAIL: tests were skipped; CI allows none (only the labels README.md excludes)" >&2
        exit 1
    fi
    rm -f "$log"
}

echo "== gcc build + ctest"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
strict_ctest build -j"$JOBS"

echo "== clang ASan/UBSan build + ctest"
CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNUCLEUS_SANITIZE=ON -DNUCLEUS_FUZZ=ON >/dev/null
cmake --build build-asan
# The VM test ran in the gcc pass; under TCG it is slow, and ASan adds nothing to it.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    strict_ctest build-asan -j"$JOBS" -LE vm

for target in rpc policy manifest dns toml; do
    corpus_src=tests/fuzz/corpus/$target
    echo "== libFuzzer: fuzz_$target for ${FUZZ_SECONDS}s"
    corpus=$(mktemp -d)
    cp "$corpus_src"/* "$corpus"/
    build-asan/bin/fuzz_$target -max_total_time="$FUZZ_SECONDS" -max_len=65536 -print_final_stats=1 "$corpus" 2>&1 | tail -n 8
    rm -rf "$corpus"
done
echo "== all tests passed"
