#!/bin/sh
# compare-cli.sh: runs upstream's C monitor and ours with the same arguments (none reach KVM) and compares output and exit status.
#
#   compare-cli.sh UPSTREAM_UKVM_BIN OUR_UKVM_BIN [EMULATOR...]
#
# Both binaries must be called ukvm-bin: the program name is in the output.
# Where upstream is wrong the case pins our behaviour instead (see MODE).

up=$1 ours=$2
shift 2
passed=0 failed=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# run_case MODE ARGS: run both monitors with ARGS (word-split), then judge:
#   same      identical output and exit status
#   extends   same exit status and line count; each of our lines starts
#             with upstream's line (we add detail to a message)
#   crash=RE  upstream dies on a signal (a bug we fix); ours must exit 1
#             with output matching RE
run_case() {
    mode=$1 args=$2
    name="ukvm-bin ${args:-(no arguments)}"
    (cd "$(dirname "$up")" && $emu ./ukvm-bin $args) >"$tmp/up" 2>&1
    up_rc=$?
    (cd "$(dirname "$ours")" && $emu ./ukvm-bin $args) >"$tmp/ours" 2>&1
    ours_rc=$?
    ok=0
    case "$mode" in
        same)
            [ "$up_rc" = "$ours_rc" ] && cmp -s "$tmp/up" "$tmp/ours" && ok=1 ;;
        extends)
            if [ "$up_rc" = "$ours_rc" ] &&
                [ "$(wc -l <"$tmp/up")" = "$(wc -l <"$tmp/ours")" ]; then
                ok=1
                paste -d '\n' "$tmp/up" "$tmp/ours" | while IFS= read -r a && IFS= read -r b; do
                    case "$b" in "$a"*) ;; *) echo mismatch ;; esac
                done | grep -q mismatch && ok=0
            fi ;;
        crash=*)
            [ "$up_rc" -gt 128 ] && [ "$ours_rc" = 1 ] &&
                grep -Eq -- "${mode#crash=}" "$tmp/ours" && ok=1 ;;
    esac
    if [ "$ok" = 1 ]; then
        echo "ok   $name [$mode] (exit status: upstream $up_rc, ours $ours_rc)"
        passed=$((passed + 1))
    else
        echo "FAIL $name [$mode]: upstream exit status $up_rc, ours $ours_rc; output diff (-upstream +ours):"
        diff -u "$tmp/up" "$tmp/ours" | sed -n '3,$p'
        failed=$((failed + 1))
    fi
}

# No case may name a kernel: upstream's monitor opens /dev/kvm before it
# reads the kernel file, and this machine's KVM is not for tests.
emu=$*
run_case same "--help"
run_case same ""
run_case same "--bogus"
run_case same "--net=tap0"
run_case same "--dumpcore"
run_case same "--gdb --gdb-port=1"
run_case same "--mem=64 --mem=32 --help"
run_case same "--"
# Ours says what is wrong with the value after upstream's words.
run_case extends "--mem=abc"
run_case extends "--mem=0"
# Upstream hands the NULL after a last --mem=N to the modules' option
# parsers and crashes; ours reports the missing kernel.
run_case "crash=Missing KERNEL operand" "--mem=64"
run_case "crash=Missing KERNEL operand" "--disk=/nonexistent --mem=16"
echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
