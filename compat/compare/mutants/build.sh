#!/bin/sh
# build.sh: the deliberately broken monitors `make test-harness` must catch, linked from our own monitors' objects.
#
#   sh build.sh MONDIR OUTDIR
#
# MONDIR is compat/compare/monitors.sh's output; for each mutant M (a .c
# file here) and module set SET (core blk net blknet) this links
# OUTDIR/M/SET/ukvm-bin from MONDIR/rust/SET's objects and library plus
# M.c, with the -Wl,--wrap=... flags its "Linked with:" comment names. The
# library and src/ are not changed: each mutant wraps libc calls (exit,
# errx, write) or main at link time.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mon=$(cd "$1" && pwd)
mkdir -p "$2"; out=$(cd "$2" && pwd)
cc=aarch64-linux-gnu-gcc
rm -rf "$out"/*
if [ ! -x "$mon/c/core/ukvm-bin" ]; then
    # monitors.sh built nothing: no Solo5 source, so no upstream modules
    # (the harness reports its mutants as skipped).
    echo "mutants: SKIP: no compare monitors in $mon (needs SOLO5_SRC)"
    exit 0
fi
n=0
for src in "$here"/*.c; do
    m=$(basename "$src" .c)
    flags=$(sed -n 's/^ \* Linked with: //p' "$src")
    [ -n "$flags" ] || { echo "mutants: $src has no 'Linked with:' line" >&2; exit 1; }
    mkdir -p "$out/$m"
    $cc -O2 -Wall -Wextra -Werror -c "$src" -o "$out/$m/$m.o"
    for set in core blk net blknet; do
        mkdir -p "$out/$m/$set"
        if ! make -s -C "$mon/rust/$set" -f Makefile.ukvm -f "$here/link.mk" mutant \
                MUT_OUT="$out/$m/$set/ukvm-bin" MUT_OBJ="$out/$m/$m.o" MUT_LDFLAGS="$flags" \
                >"$out/$m/$set.log" 2>&1; then
            cat "$out/$m/$set.log" >&2
            echo "mutants: linking $m ($set) failed" >&2
            exit 1
        fi
        test -x "$out/$m/$set/ukvm-bin"
    done
    n=$((n + 1))
done
echo "mutants: $n built in $out: $(cd "$out" && echo *)"
