#!/usr/bin/env bash
# c-link.sh: link C monitors against the packaged libukvm.a and libukvm.so
# and check the command line end to end: usage text, module options,
# upstream's messages and exit status, and our stricter --mem.
#
#   tests/rust/c-link.sh PACKAGED_LIB_DIR [CROSS_PREFIX]
#
# With CROSS_PREFIX (e.g. aarch64-linux-gnu-) the monitors are only linked:
# running them would need the foreign CPU, and past the command line they
# would open this machine's /dev/kvm, which tests must never use.
set -uo pipefail

lib=${1:?packaged library directory}
pfx=${2:-}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=${BUILD:-$top/build}/rust/c-link${pfx:+-${pfx%-}}
rm -rf "$work" && mkdir -p "$work" || exit 1
syslibs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
cflags="-std=c99 -O0 -Wall -Wextra -Werror -I$top/include"

pass=0 fail=0 skip=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

link() { # NAME ARGS...: link a test monitor, one case per link
    local name=$1; shift
    if "${pfx}gcc" $cflags "$@" 2>"$work/link.err"; then ok "$name"; else ko "$name" "$(head -c 600 "$work/link.err")"; fi
}
link link-static-with-module -o "$work/ukvm-fake" "$top/tests/rust/fake_module.c" "$lib/libukvm.a" $syslibs
link link-static-core-only -DCORE_ONLY -o "$work/ukvm-core" "$top/tests/rust/fake_module.c" "$lib/libukvm.a" $syslibs
link link-shared-with-module -o "$work/ukvm-fake-so" "$top/tests/rust/fake_module.c" -L"$lib" -lukvm -Wl,-rpath,"$lib"
# The run cases below need the monitors linked for this machine: with
# CROSS_PREFIX each is skipped by name; after a failed link each fails.
no_run= no_run_fails=0
if [ -n "$pfx" ]; then
    no_run="monitors cross-linked for ${pfx%-} (not run here)"
elif [ "$fail" -ne 0 ]; then
    no_run="not run: a link above failed" no_run_fails=1
fi

# run NAME BIN WANT_STATUS STDERR_FILE ARGS...: runs BIN, checks status.
run() {
    local name=$1 bin=$2 want=$3; shift 3
    if [ -n "$no_run" ]; then
        if [ "$no_run_fails" = 1 ]; then ko "$name" "$no_run"; else echo "skip $name: $no_run"; skip=$((skip + 1)); fi
        return 1
    fi
    "$work/$bin" "$@" >"$work/out" 2>"$work/err" </dev/null
    local st=$?
    if [ "$st" -ne "$want" ]; then
        ko "$name" "status $st, wanted $want; stderr: $(head -c 400 "$work/err")"
        return 1
    fi
}
has() { grep -qF -- "$2" "$work/err" || { ko "$1" "stderr lacks [$2]: $(head -c 400 "$work/err")"; return 1; }; }
lacks() { ! grep -qF -- "$2" "$work/err" || { ko "$1" "stderr has [$2]"; return 1; }; }

usage_fake="usage: ukvm-fake [ CORE OPTIONS ] [ MODULE OPTIONS ] [ -- ] KERNEL [ ARGS ]
KERNEL is the filename of the unikernel to run.
ARGS are optional arguments passed to the unikernel.
Core options:
  [ --mem=512 ] (guest memory in MB)
    --help (display this help)
Compiled-in modules: core fake 
Compiled-in module options:
    --fake=VALUE (an option of the test module)"

c=help-layout
if run $c ukvm-fake 1 --help; then
    if [ "$(cat "$work/err")" = "$usage_fake" ]; then ok $c
    else ko $c "usage differs: $(diff <(echo "$usage_fake") "$work/err" | head -20)"; fi
fi

c=help-core-only
run $c ukvm-core 1 --help && has $c "Compiled-in modules: core 
Compiled-in module options:" && has $c "    (none)" && ok $c

c=help-shared-lib-sees-program-modules
run $c ukvm-fake-so 1 --help && has $c "Compiled-in modules: core fake " && ok $c

c=invalid-option
run $c ukvm-fake 1 --bogus kernel && has $c "ukvm-fake: Invalid option: \`--bogus'" && has $c "usage: ukvm-fake" && ok $c

c=missing-kernel
run $c ukvm-fake 1 --fake=1 && has $c "ukvm-fake: Missing KERNEL operand" && has $c "usage: ukvm-fake" && ok $c

c=mem-trailing-garbage
run $c ukvm-fake 1 --mem=512abc kernel && has $c "ukvm-fake: Malformed argument to --mem: \`512abc' is not a whole number of megabytes" && lacks $c "usage:" && ok $c

c=mem-zero
run $c ukvm-fake 1 --mem=0 kernel && has $c "ukvm-fake: Malformed argument to --mem" && ok $c

c=mem-wraps
run $c ukvm-fake 1 --mem=17592186044416 kernel && has $c "Malformed argument to --mem: 17592186044416 MB is too large" && ok $c

c=cmdline-too-long
run $c ukvm-fake 1 kernel "$(head -c 9000 /dev/zero | tr '\0' x)" && has $c "ukvm-fake: Guest command line too long (max=8191 characters)" && ok $c

# Past the command line the backend runs; on hosts without our KVM backend
# it stops with its own message. Either way, no option error.
c=module-option-accepted
run $c ukvm-fake 1 --fake=x --mem=2 /nonexistent/kernel && lacks $c "Invalid option" && lacks $c "usage:" && ok $c

c=double-dash-kernel
run $c ukvm-fake 1 -- --fake=x && lacks $c "Invalid option" && lacks $c "usage:" && ok $c

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
