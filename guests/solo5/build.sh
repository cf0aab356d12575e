#!/bin/sh
# build.sh: builds Solo5 v0.3.1's own test unikernels (tests/test_*) and upstream's C monitor for AArch64 from SOLO5_SRC, in a copy.
#
#   sh build.sh SOLO5_SRC OUTDIR      -> OUTDIR/test_*.ukvm, OUTDIR/upstream-core
#
# upstream-core is upstream's ukvm-bin with its core module only (static),
# the reference for the differential cases in ../diff.sh.
#
# Upstream's build predates the compilers Debian ships now, so the copy gets
# four build fixes (none touches kernel or test code): its gcc version check
# accepts two-digit majors, warnings stay warnings (-Wno-error), objcopy is
# the cross one, and kernel/ukvm/ukvm_guest.h becomes the symlink it is in
# upstream's git (a plain file holding the link target in our reference copy).
set -eu
src=$1
out=$2
if [ ! -f "$src/kernel/ukvm/kernel.c" ]; then
    # Leave nothing from an earlier build for the tests to pick up.
    rm -rf "$out"
    echo "solo5 build: SKIP: no Solo5 source at '$src' (set SOLO5_SRC)"
    exit 0
fi
work=$out/src
rm -rf "$work"
mkdir -p "$out"
cp -R "$src" "$work"
chmod -R u+w "$work"
cd "$work"
sed -i -E 's/\^#define __GNUC__ \[4-9\]\$/^#define __GNUC__ [0-9]+$/' configure.sh
sed -i 's/^\(CFLAGS=.*-Werror\)/\1 -Wno-error/' Makefile.common
ln -sf ../../ukvm/ukvm_guest.h kernel/ukvm/ukvm_guest.h
CC=aarch64-linux-gnu-gcc LD=aarch64-linux-gnu-ld ./configure.sh >/dev/null
echo "OBJCOPY=aarch64-linux-gnu-objcopy" >>Makeconf
# The kernel and the test unikernels (upstream's ukvm-bin is not built:
# it is what we replace).
make -s ukvm >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
for t in tests/test_*/; do
    name=$(basename "$t")
    cp "$t/$name.ukvm" "$out/"
done
ls "$out"/*.ukvm | wc -l | sed 's/^/solo5 build: test unikernels: /'

mkdir -p "$work/upstream-core"
cd "$work/upstream-core"
UKVM_CC=aarch64-linux-gnu-gcc UKVM_STATIC=1 sh ../ukvm/ukvm-configure ../ukvm >/dev/null
make -s -f Makefile.ukvm ukvm-bin UKVM_CFLAGS="-std=c99 -O2 -g" >>"$out/build.log" 2>&1 ||
    { cat "$out/build.log"; exit 1; }
cp ukvm-bin "$out/upstream-core"
echo "solo5 build: upstream-core (upstream's monitor, core module only)"
