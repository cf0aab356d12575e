#!/usr/bin/env bash
# diff-upstream.sh: differential test. The same inputs go through upstream's
# C core and command line (built from SOLO5_SRC, in a copy under BUILD) and
# through our library; stdout, stderr and exit status must be identical.
#
#   tests/rust/diff-upstream.sh PACKAGED_LIB_DIR
#
# Core: tests/rust/diff/core_harness.c against upstream's ukvm_core.c and
# against our libukvm.so. Command line: upstream's ukvm_main.c with its blk
# and net modules and a stub backend (tests/rust/diff/stub_hv.c) that stops
# where ours stops on a host without our KVM backend, against our
# libukvm.a with the same two upstream modules. Inputs where we differ on
# purpose (docs/differences.md) are tested elsewhere, not here.
set -uo pipefail

lib=$(cd "${1:?packaged library directory}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/rust/diff
solo5=${SOLO5_SRC:-$top/../shared/solo5-v0.3.1}
work=${BUILD:-$top/build}/rust/diff
syslibs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

pass=0 fail=0 skip=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" -eq 0 ]; exit; }

arch=$(uname -m)
cflags="-std=c99 -O2 -Wall -Wno-unused-function"
up_cflags="$cflags -I$work/up -DSTUB_ARCH=\"$arch\""

# When set, why the cases cannot run: each is then skipped by name (no
# Solo5 source) or failed by name (a build failed: never a skip).
no_run= no_run_fails=0
rm -rf "$work"
[ -f "$solo5/ukvm/ukvm_core.c" ] || no_run="upstream sources not found at SOLO5_SRC=$solo5"

build() { # NAME CC-ARGS...
    local name=$1; shift
    if cc "$@" 2>"$work/build.err"; then return 0; fi
    ko "build-$name" "$(head -c 800 "$work/build.err")"
    return 1
}

# build_all: upstream's sources, copied (never built in place), and the
# four programs. Ours gets the module sources only, so that they see our
# include/ and not upstream's headers.
build_all() {
    mkdir -p "$work/up" "$work/ours"
    cp "$solo5"/ukvm/*.c "$solo5"/ukvm/*.h "$work/up/"
    cp "$solo5"/ukvm/ukvm_module_blk.c "$solo5"/ukvm/ukvm_module_net.c "$work/ours/"
    cat > "$work/ours/modules.c" <<'EOC'
#include "ukvm.h"
struct ukvm_module *ukvm_core_modules[] = {
    &ukvm_module_core, &ukvm_module_blk, &ukvm_module_net, NULL,
};
EOC
    local built=1
    build up-harness $up_cflags -o "$work/up/harness" "$here/core_harness.c" "$work/up/ukvm_core.c" || built=0
    build ours-harness $cflags -I"$top/include" -o "$work/ours/harness" "$here/core_harness.c" \
        -L"$lib" -lukvm -Wl,-rpath,"$lib" || built=0
    build up-monitor $up_cflags -DUKVM_MODULE_BLK -DUKVM_MODULE_NET -o "$work/up/ukvm-bin" \
        "$work/up/ukvm_core.c" "$work/up/ukvm_main.c" "$work/up/ukvm_module_blk.c" \
        "$work/up/ukvm_module_net.c" "$here/stub_hv.c" || built=0
    build ours-monitor $cflags -I"$top/include" -o "$work/ours/ukvm-bin" "$work/ours/modules.c" \
        "$work/ours/ukvm_module_blk.c" "$work/ours/ukvm_module_net.c" "$lib/libukvm.a" $syslibs || built=0
    [ "$built" = 1 ] || no_run="not run: a build above failed" no_run_fails=1
}
[ -n "$no_run" ] || build_all

# same NAME NORMALISE BIN ARGS...: run upstream's and our BIN, compare.
# NORMALISE=1 blanks the file:line of "Invalid guest access" messages
# raised inside the core (upstream names ukvm_core.c, we name our source).
same() {
    local name=$1 norm=$2 bin=$3; shift 3
    local side
    if [ -n "$no_run" ]; then
        if [ "$no_run_fails" = 1 ]; then ko "$name" "$no_run"; else echo "skip $name: $no_run"; skip=$((skip + 1)); fi
        return
    fi
    for side in up ours; do
        (cd "$work/$side" && "./$bin" "$@" >"$work/$side.out" 2>"$work/$side.err" </dev/null)
        echo "status $?" >>"$work/$side.out"
        if [ "$norm" = 1 ]; then
            sed -E -i 's/: [^ :]+:[0-9]+: Invalid guest access/: FILE:LINE: Invalid guest access/' "$work/$side.err"
        fi
    done
    if cmp -s "$work/up.out" "$work/ours.out" && cmp -s "$work/up.err" "$work/ours.err"; then
        ok "$name"
    else
        ko "$name" "$(diff -u --label upstream --label ours <(cat "$work/up.out" "$work/up.err") <(cat "$work/ours.out" "$work/ours.err") | head -30)"
    fi
}

same core-registration 0 harness register
same core-halt-hooks-and-cookies 0 harness halt
same core-halt-cookie-too-close-to-top 1 harness halt-bad-cookie
same core-halt-struct-outside-memory 1 harness halt-bad-struct
same core-walltime-puts-poll 0 harness core-calls
same core-puts-outside-memory 1 harness puts-bad
for g in "0 16" "0xffff0 15" "0xffff0 16" "0xfffff 0" "0xfffff 1" "0x100000 0" \
         "0x10 0xfffffffffffffff8" "0xffffffffffffffff 2" "0x80000 0x80000"; do
    # shellcheck disable=SC2086
    same "checked-gpa-${g/ /-}" 0 harness gpa $g
done

if [ "$arch" = x86_64 ]; then
    same cli-help 0 ukvm-bin --help
    same cli-no-arguments 0 ukvm-bin
    same cli-unknown-option 0 ukvm-bin --bogus kernel
    same cli-lone-dash 0 ukvm-bin - kernel
    same cli-module-option-without-value 0 ukvm-bin --net kernel
    same cli-module-options-without-kernel 0 ukvm-bin --disk=/x --net=tap0
    same cli-mem-zero 0 ukvm-bin --mem=0 kernel
    same cli-mem-empty 0 ukvm-bin --mem= kernel
    same cli-mem-and-args 0 ukvm-bin --mem=64 kernel a b
    same cli-all-options 0 ukvm-bin --mem=64 --disk=/x --net=tap0 kernel arg
    same cli-double-dash 0 ukvm-bin --disk=/x -- --net=tap0
    same cli-help-after-kernel 0 ukvm-bin kernel --help
    same cli-option-after-double-dash 0 ukvm-bin -- --help
else
    for c in help no-arguments unknown-option lone-dash module-option-without-value \
        module-options-without-kernel mem-zero mem-empty mem-and-args all-options double-dash \
        help-after-kernel option-after-double-dash; do
        echo "skip cli-$c: on $arch our real KVM backend would run past the command line"
        skip=$((skip + 1))
    done
fi
finish
