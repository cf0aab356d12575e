#!/usr/bin/env bash
# package.sh: turn cargo's libukvm.a into one relocatable object whose only
# global symbols are the C API (mk/rust/exports.txt), and copy the .so.
#
#   mk/rust/package.sh CARGO_LIB_DIR OUT_DIR [TOOL_PREFIX]
#
# cargo's staticlib holds all of Rust's std and compiler-builtins with
# global symbols (mangled std items, weak math functions such as sqrt).
# `ld -r' links the members our exports need into one object, so internal
# references are resolved inside it; objcopy then makes every other symbol
# local and drops LLVM bitcode sections that confuse binutils' LLVM plugin.
# --gc-sections (rooted at the exports, plus .init_array and friends, which
# ld always keeps) drops every function and datum the C API cannot reach:
# std's unused parts and our own code that only tests call. That is about a
# third of a static ukvm-bin (bench: 1.91 MB stripped before, 1.26 MB after).
# The cdylib needs none of this: rustc's version script already exports
# only the Rust #[no_mangle] items.
set -euo pipefail

src=${1:?cargo library directory}
out=${2:?output directory}
pfx=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
exports=$here/exports.txt

[ -f "$src/libukvm.a" ] || { echo "package.sh: no $src/libukvm.a (build with cargo first)" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

undef=()
while read -r s; do undef+=(-u "$s"); done < "$exports"

"${pfx}ld" -r --gc-sections -o "$tmp/ukvm.o" "${undef[@]}" "$src/libukvm.a"
"${pfx}objcopy" --keep-global-symbols="$exports" \
    --remove-section=.llvmbc --remove-section=.llvmcmd \
    "$tmp/ukvm.o" "$tmp/libukvm.o"
rm -f "$out/libukvm.a"
"${pfx}ar" rcs "$out/libukvm.a" "$tmp/libukvm.o"
if [ -f "$src/libukvm.so" ]; then
    cp "$src/libukvm.so" "$out/libukvm.so"
fi
echo "package.sh: $out/libukvm.a (exports: $(wc -l < "$exports") symbols)"
