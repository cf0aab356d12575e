#!/bin/sh
# modules-cmake.sh: monitors with the library's Rust blk and net modules made by CMake's ukvm_add_monitor() (tests/modules_cmake), checked.
#
#   mk/modules-cmake.sh WORKDIR LIBUKVM [SOLO5_UKVM_DIR]
#
# Cases: rust_only (MODULES rust-blk rust-net, no module source) lists
# upstream's blk and net in --help; with SOLO5_UKVM_DIR, mixed (upstream's
# C dumpcore and the Rust net) lists them in upstream's order, and blk
# together with rust-blk is refused at configure time (status and message).
# Without it those two are skipped, each on its own line. A failed configure
# or build is a failed case, never a skip. Ends with "cmake: N passed, N
# failed, N skipped".

work=$1 lib=$2 solo5=${3:-}
top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/tests/modules_cmake
passed=0 failed=0 skipped=0
ok() { echo "PASS cmake-$1"; passed=$((passed + 1)); }
ko() { echo "FAIL cmake-$1: $2"; failed=$((failed + 1)); [ ! -f "$work/step.log" ] || sed 's/^/    | /' "$work/step.log"; }
skip() { echo "skip cmake-$1: $2"; skipped=$((skipped + 1)); }
finish() { echo "cmake: $passed passed, $failed failed, $skipped skipped"; [ "$failed" = 0 ]; exit; }

rm -rf "$work" && mkdir -p "$work" || exit 1
if [ -n "$solo5" ] && [ -f "$solo5/ukvm_module_dumpcore.c" ]; then
    set -- -DSOLO5_UKVM="$solo5"
else
    set --
    solo5=
fi
if cmake -S "$src" -B "$work/build" -DUKVM_LIBRARY="$lib" "$@" >"$work/step.log" 2>&1 &&
    make -s -C "$work/build" >>"$work/step.log" 2>&1; then
    ok configure-and-build
else
    ko configure-and-build "cmake or make failed"
    finish
fi

# help_lists NAME BIN LINE...: BIN --help exits 1 (upstream's usage status)
# with every LINE as a whole line of its output.
help_lists() {
    name=$1 bin=$2
    shift 2
    "$bin" --help >"$work/step.log" 2>&1
    st=$?
    [ "$st" = 1 ] || { ko "$name" "--help: status $st, wanted 1"; return; }
    for line in "$@"; do
        grep -qxF -- "$line" "$work/step.log" || { ko "$name" "--help lacks the line '$line'"; return; }
    done
    ok "$name"
}

help_lists rust-only-modules "$work/build/rust_only" 'Compiled-in modules: core blk net ' \
    '    --disk=IMAGE (file exposed to the unikernel as a raw block device)'

if [ -z "$solo5" ]; then
    skip mixed-c-and-rust-modules "no Solo5 source (SOLO5_SRC) for upstream's dumpcore module"
    skip blk-with-rust-blk-refused "no Solo5 source (SOLO5_SRC) for upstream's blk module"
    finish
fi
help_lists mixed-c-and-rust-modules "$work/build/mixed" 'Compiled-in modules: core dumpcore net '

cmake -S "$src" -B "$work/both" -DBOTH=ON -DUKVM_LIBRARY="$lib" -DSOLO5_UKVM="$solo5" >"$work/step.log" 2>&1
st=$?
if [ "$st" = 0 ]; then
    ko blk-with-rust-blk-refused "cmake configured blk with rust-blk (status 0)"
elif ! grep -q "modules 'blk' and 'rust-blk' both provide blk" "$work/step.log"; then
    ko blk-with-rust-blk-refused "cmake failed (status $st) without saying that blk and rust-blk clash"
else
    ok blk-with-rust-blk-refused
fi
finish
