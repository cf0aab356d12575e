#!/bin/sh
# run.sh: configures the C tests for x86_64 and aarch64, runs ctest on each, and prints the combined count.
#
#   c-tests/run.sh BUILD_DIR X86_64_LIBUKVM AARCH64_LIBUKVM
#
# SOLO5_SRC comes from the environment; without it the tests that need
# upstream's sources are reported as skipped, loudly (ctest lists each).
# Ends with "N passed, N failed, N skipped", counted from ctest's per-case
# lines; a configure failure or a failing ctest without a failed case
# counts as a failed case.

build=$1 lib_x86=$2 lib_arm=$3
here=$(cd "$(dirname "$0")" && pwd -P)
passed=0 failed=0 skipped=0

if [ ! -f "${SOLO5_SRC:-/nonexistent}/ukvm/ukvm.h" ]; then
    echo "SKIP: SOLO5_SRC='${SOLO5_SRC:-}' has no ukvm/ukvm.h: the upstream layout," \
        "prototype, module link matrix, CLI and ukvm-configure tests are skipped"
fi

for arch in x86_64 aarch64; do
    dir=$build/$arch
    # This run's logs only.
    rm -f "$dir.configure.log" "$dir.ctest.log"
    mkdir -p "$build"
    if [ "$arch" = x86_64 ]; then
        set -- -DUKVM_LIBRARY="$lib_x86" -DUKVM_INSTALL_TEST=ON
    else
        set -- -DUKVM_LIBRARY="$lib_arm" -DCMAKE_TOOLCHAIN_FILE="$here/aarch64-linux-gnu.cmake"
    fi
    echo "=== C tests, $arch"
    if ! cmake -S "$here" -B "$dir" -DSOLO5_SRC="${SOLO5_SRC:-}" "$@" >"$dir.configure.log" 2>&1; then
        cat "$dir.configure.log"
        echo "FAIL configure C tests for $arch"
        failed=$((failed + 1))
        continue
    fi
    # What the configure step found (informational).
    sed -n '/census\|prototype check/p' "$dir.configure.log"
    ctest --test-dir "$dir" --output-on-failure --timeout 600 >"$dir.ctest.log" 2>&1
    ctest_rc=$?
    # Per-case lines and ctest's own summary.
    sed -n -E '/^ *[0-9]+\/[0-9]+ Test +#|tests passed|tests failed|SKIP /p' "$dir.ctest.log"
    if grep -q '\*\*\*Failed\|\*\*\*Exception\|\*\*\*Timeout\|Not Run' "$dir.ctest.log"; then
        # Indented: a failed script's own totals line must not be counted
        # as this suite's (make test counts lines that start at column 0).
        echo "--- output of failed $arch cases (from $dir.ctest.log):"
        sed -n '/^ *[0-9]*\/[0-9]* Test .*\*\*\*\(Failed\|Exception\|Timeout\)/,/^ *[0-9]*\/[0-9]* Test /p' \
            "$dir.ctest.log" | head -n 400 | sed 's/^/    | /'
    fi
    p=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#.* Passed' "$dir.ctest.log")
    s=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#.*\*\*\*Skipped' "$dir.ctest.log")
    t=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#' "$dir.ctest.log")
    if [ "$t" -eq 0 ]; then
        echo "FAIL ctest ran no test for $arch"
        failed=$((failed + 1))
    fi
    passed=$((passed + p))
    skipped=$((skipped + s))
    failed=$((failed + t - p - s))
    if [ "$ctest_rc" != 0 ] && [ $((t - p - s)) = 0 ]; then
        echo "FAIL ctest for $arch: exit status $ctest_rc with no failed case listed"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
