#!/bin/sh
# same-text.sh: passes if two object files have byte-identical .text sections.
#
#   same-text.sh OBJCOPY OBJDUMP A.o B.o

objcopy=$1 objdump=$2 a=$3 b=$4
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$objcopy" -O binary -j .text "$a" "$tmp/a" || exit 1
"$objcopy" -O binary -j .text "$b" "$tmp/b" || exit 1
size=$(wc -c <"$tmp/a")
if [ "$size" -gt 0 ] && cmp -s "$tmp/a" "$tmp/b"; then
    echo "ok: .text identical ($size bytes)"
    "$objdump" -d "$a" | sed -n '/<guest_puts>:/,/^$/p'
    exit 0
fi
echo "FAIL: .text differs ($size vs $(wc -c <"$tmp/b") bytes)"
"$objdump" -d "$a" >"$tmp/da"
"$objdump" -d "$b" >"$tmp/db"
diff -u "$tmp/da" "$tmp/db" | head -n 80
exit 1
