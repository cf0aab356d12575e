#!/usr/bin/env bash
# symbols.sh: the global symbols our libraries define, checked against the
# C API list (mk/rust/exports.txt).
#
#   tests/rust/symbols.sh CARGO_LIB_DIR PACKAGED_LIB_DIR [TOOL_PREFIX]
#
# - packaged libukvm.a (mk/rust/package.sh): exactly the list, nothing else;
#   ukvm_core_modules only as a weak undefined reference;
# - libukvm.so: exactly the list (rustc's version script);
# - cargo's raw libukvm.a: the list, plus only Rust-runtime symbols of the
#   justified kinds below (that is why monitors link the packaged one);
# - data symbols keep upstream's sizes.
set -uo pipefail

raw=${1:?cargo library directory}
pkg=${2:?packaged library directory}
pfx=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
exports=$here/../../mk/rust/exports.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sort -u "$exports" > "$tmp/want"

pass=0 fail=0 skip=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
same() { # NAME FILE: FILE must equal the export list
    if diff -u "$tmp/want" "$2" > "$tmp/diff"; then ok "$1"; else ko "$1" "$(cat "$tmp/diff")"; fi
}

"${pfx}nm" -g --defined-only "$pkg/libukvm.a" | awk 'NF == 3 { print $3 }' | sort -u > "$tmp/pkg"
same packaged-a-exports-exactly-the-c-api "$tmp/pkg"

if "${pfx}nm" -u "$pkg/libukvm.a" | grep -qE '^ +w ukvm_core_modules$'; then
    ok packaged-a-refers-weakly-to-ukvm_core_modules
else
    ko packaged-a-refers-weakly-to-ukvm_core_modules "$("${pfx}nm" "$pkg/libukvm.a" | grep core_modules)"
fi

if [ -f "$pkg/libukvm.so" ]; then
    "${pfx}nm" -D --defined-only "$pkg/libukvm.so" | awk 'NF == 3 { print $3 }' | sort -u > "$tmp/so"
    same so-exports-exactly-the-c-api "$tmp/so"
else
    # The crate is always built as a cdylib too: a missing .so is a build fault.
    ko so-exports-exactly-the-c-api "no $pkg/libukvm.so (package.sh copies cargo's cdylib)"
fi

# Sizes of the data symbols (LP64): the hypercall table has
# UKVM_HYPERCALL_MAX (11) pointers, struct ukvm_module is 4 pointers (the
# core's and the library's own blk and net modules). The
# vmexit table is an incomplete array in C: any non-zero size will do.
"${pfx}nm" -S -t d --defined-only "$pkg/libukvm.a" | awk 'NF == 4 { print $4, $2 + 0 }' > "$tmp/sizes"
want_sizes="ukvm_core_hypercalls 88
ukvm_module_core 32
ukvm_module_rust_blk 32
ukvm_module_rust_net 32"
if [ "$(grep -E '^(ukvm_core_hypercalls|ukvm_module_core|ukvm_module_rust_blk|ukvm_module_rust_net) ' "$tmp/sizes" | sort)" = "$want_sizes" ] &&
   awk '$1 == "ukvm_core_vmexits" && $2 >= 16 { f = 1 } END { exit !f }' "$tmp/sizes"; then
    ok data-symbols-keep-upstream-sizes
else
    ko data-symbols-keep-upstream-sizes "$(grep -E 'hypercalls|module_|vmexits' "$tmp/sizes")"
fi

# cargo's own staticlib. nm skips the members that carry LLVM bitcode
# (binutils' LLVM plugin cannot read rustc's), so read symbols with readelf.
"${pfx}readelf" -sW "$raw/libukvm.a" 2>/dev/null |
    awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" { print $8 }' | sort -u > "$tmp/raw"
missing=$(comm -23 "$tmp/want" "$tmp/raw")
[ -z "$missing" ] && ok raw-a-has-the-c-api || ko raw-a-has-the-c-api "missing: $missing"

# Justified extras of cargo's staticlib (std, alloc, compiler-builtins):
#   _ZN* _R*           mangled Rust items (std's and ours): cannot clash with C
#   __rust_* __rdl_* __rg_* rust_eh_personality DW.ref.rust_eh_personality
#                      Rust allocator, panic and unwinding runtime
#   anon.*.llvm.*      LLVM-promoted constants of Rust crates
#   ukvm_rs_module_table  our C helper for the module table (hidden visibility)
#   __* helpers        compiler-builtins (integer/float soft routines, as libgcc)
#   libm names         compiler-builtins' weak math fallbacks (sqrt, fmod, ...)
comm -13 "$tmp/want" "$tmp/raw" |
    grep -vE '^(_ZN|_R[A-Z0-9_]|__rust_|__rdl_|__rg_|rust_eh_personality$|DW\.ref\.rust_eh_personality$|anon\.[0-9a-f]+\.[0-9]+\.llvm\.[0-9]+$|ukvm_rs_module_table$)' |
    grep -vE '^__[a-z0-9_]+$' |
    grep -vE '^(cbrt|ceil|copysign|fabs|fdim|floor|fma|fmax|fmaximum|fmin|fminimum|fmod|rint|round|roundeven|sqrt|trunc|exp|exp2|log|log2|log10|pow|sin|cos|tan|ldexp|frexp|hypot|scalbn)(f|f16|f128|l)?$' \
    > "$tmp/unjustified"
if [ -s "$tmp/unjustified" ]; then
    ko raw-a-extras-are-rust-runtime "unexpected: $(head -20 "$tmp/unjustified" | tr '\n' ' ')"
else
    ok raw-a-extras-are-rust-runtime
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
