#!/bin/sh
# compare-cli.sh: runs upstream's C monitor and ours with the same arguments (none reach KVM) and compares output and exit status.
#
#   compare-cli.sh UPSTREAM_UKVM_BIN OUR_UKVM_BIN [EMULATOR...]
#
# Both binaries must be called ukvm-bin: the program name is in the output.

up=$1 ours=$2
shift 2
passed=0 failed=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

run_case() {
    name=$1
    shift
    (cd "$(dirname "$up")" && "$@" ./ukvm-bin $args) >"$tmp/up" 2>&1
    up_rc=$?
    (cd "$(dirname "$ours")" && "$@" ./ukvm-bin $args) >"$tmp/ours" 2>&1
    ours_rc=$?
    if [ "$up_rc" = "$ours_rc" ] && cmp -s "$tmp/up" "$tmp/ours"; then
        echo "ok   $name (exit status $ours_rc)"
        passed=$((passed + 1))
    else
        echo "FAIL $name: upstream exit status $up_rc, ours $ours_rc; output diff (-upstream +ours):"
        diff -u "$tmp/up" "$tmp/ours" | sed -n '3,$p'
        failed=$((failed + 1))
    fi
}

for args in "--help" "" "--mem=abc" "--mem=0" "--bogus" "--mem=64" \
        "--net=tap0" "--disk=/nonexistent --mem=16" "--dumpcore" "--gdb --gdb-port=1" \
        "--mem=64 --mem=32 --help" "--"; do
    run_case "ukvm-bin ${args:-(no arguments)}" "$@"
done
echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
