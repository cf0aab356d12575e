#!/bin/sh
# monitors.sh: the AArch64 monitor pairs compare and bench run side by side: upstream's and ours, with the same upstream modules.
#
#   sh monitors.sh SOLO5_COPY OUTDIR
#
# SOLO5_COPY is the build copy of Solo5 v0.3.1 (compat/upstream/test-upstream
# --build-only makes it; guests/solo5/build.sh links it as
# $BUILD/aarch64/solo5-tests/src; gcc fixes applied). For each
# module set SET (core: none, blk, net, blknet: both), as upstream's tests
# pick one monitor per unikernel:
#   OUTDIR/c/SET/ukvm-bin     upstream's ukvm-configure and C sources
#   OUTDIR/rust/SET/ukvm-bin  compat/ukvm-configure: our library and the same
#                             unchanged C module sources
# Both static, built with the same compiler and flags (-O2 -g; -Werror off
# for upstream's code under today's gcc); stripped copies go beside them as
# ukvm-bin.stripped.
set -eu
src=$(cd "$1" 2>/dev/null && pwd || echo "$1")
mkdir -p "$2"; out=$(cd "$2" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
cc=aarch64-linux-gnu-gcc
if [ ! -f "$src/ukvm/ukvm_module_blk.c" ]; then
    rm -rf "$out/c" "$out/rust"
    echo "compare: SKIP monitors: no Solo5 build copy at '$src' (needs SOLO5_SRC)"
    exit 0
fi
# quiet LOG: LOG without the static-linking warnings every build prints.
quiet() { grep -v "statically linked applications\|in function .std::\|getaddrinfo\|getpwnam" "$1" || true; }

# build SIDE SET MODULE...
build() {
    side=$1 set=$2
    shift 2
    d=$out/$side/$set
    mkdir -p "$d"
    # Each step's status is checked (no pipeline hides make's); the build
    # output goes to a log, shown without the usual warnings.
    rc=0
    if [ "$side" = c ]; then
        # Upstream's Makefile.ukvm carries the module switches
        # (-DUKVM_MODULE_*) in UKVM_CFLAGS: only its -Werror is edited.
        (cd "$d" && rm -rf _build-ukvm ukvm-bin &&
            UKVM_CC=$cc UKVM_STATIC=1 sh "$src/ukvm/ukvm-configure" "$src/ukvm" "$@" >/dev/null &&
            sed -i 's/^\(UKVM_CFLAGS=.*\)-Werror/\1-Wno-error/' Makefile.ukvm &&
            make -s -f Makefile.ukvm ukvm-bin >build.log 2>&1) || rc=$?
    else
        (cd "$d" && rm -f ukvm-bin &&
            UKVM_CC=$cc UKVM_STATIC=1 "$top/compat/ukvm-configure" "$src/ukvm" "$@" >/dev/null &&
            make -s -f Makefile.ukvm ukvm-bin >build.log 2>&1) || rc=$?
    fi
    [ -f "$d/build.log" ] && quiet "$d/build.log"
    if [ $rc != 0 ] || [ ! -x "$d/ukvm-bin" ]; then
        echo "compare: building the $side $set monitor failed (status $rc)" >&2
        exit 1
    fi
    aarch64-linux-gnu-strip -o "$d/ukvm-bin.stripped" "$d/ukvm-bin"
}
rm -rf "$out/c" "$out/rust"
for side in c rust; do
    build $side core
    build $side blk blk
    build $side net net
    build $side blknet blk net
done
echo "compare: monitors (core, blk, net, blknet): $out/c/SET/ukvm-bin (upstream), $out/rust/SET/ukvm-bin (ours)"
