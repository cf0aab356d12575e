#!/bin/sh
# build.sh: Solo5 v0.3.1's own test unikernels (tests/test_*) and upstream's C monitor for AArch64, from the one upstream build copy.
#
#   sh build.sh SOLO5_SRC OUTDIR      -> OUTDIR/test_*.ukvm, OUTDIR/upstream-core,
#                                        OUTDIR/src (the build copy)
#
# The build itself is compat/upstream/test-upstream's (--build-only): one
# copy of SOLO5_SRC under $BUILD/upstream-aarch64/src with its gcc fixes,
# built incrementally. This script links that copy as OUTDIR/src, takes
# its test unikernels, and builds upstream-core there: upstream's ukvm-bin
# with its core module only (static), the reference for ../diff.sh.
set -eu
src=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
if [ ! -f "$src/kernel/ukvm/kernel.c" ]; then
    # Leave nothing from an earlier build for the tests to pick up.
    rm -rf "$out"
    echo "solo5 build: SKIP: no Solo5 source at '$src' (set SOLO5_SRC)"
    exit 0
fi
BUILD=${BUILD:-$top/build}
SOLO5_SRC=$src BUILD=$BUILD "$top/compat/upstream/test-upstream" --arch aarch64 --build-only
copy=$BUILD/upstream-aarch64/src
mkdir -p "$out"
rm -f "$out"/*.ukvm
[ -L "$out/src" ] || rm -rf "$out/src"
ln -sfn "$copy" "$out/src"
for t in "$copy"/tests/test_*/; do
    name=$(basename "$t")
    cp "$t/$name.ukvm" "$out/"
done
ls "$out"/*.ukvm | wc -l | sed 's/^/solo5 build: test unikernels: /'

core=$out/upstream-core-build
rm -f "$out/upstream-core" "$core/ukvm-bin"
mkdir -p "$core"
cd "$core"
{ UKVM_CC=aarch64-linux-gnu-gcc UKVM_STATIC=1 sh "$copy/ukvm/ukvm-configure" "$copy/ukvm" &&
    make -s -f Makefile.ukvm ukvm-bin; } >"$core/build.log" 2>&1 ||
    { cat "$core/build.log"; echo "solo5 build: building upstream-core FAILED"; exit 1; }
cp ukvm-bin "$out/upstream-core"
echo "solo5 build: upstream-core (upstream's monitor, core module only)"
