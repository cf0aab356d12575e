# harness.sh: what `make test-harness` runs inside the emulated host: the compare cases of its subset under every monitor, then guests/check.sh under ours and the mutants named.
#
#   sh harness.sh SIDES CHECK_SIDES GLOB...     (from the payload dir)
#
# SIDES (comma-separated) go to cases.sh with the GLOBs: its @@case records,
# ending with @@end. For each side in CHECK_SIDES (comma-separated, may be
# empty), guestcheck/check.sh (the payload of make test-aarch64) runs with
# ./SIDE/core/ukvm-bin as the monitor; its output lines come prefixed
# "@@g SIDE ", then "@@check SIDE STATUS". Ends with @@harness-end.
sides=$1 checks=$2
shift 2
sh ./cases.sh --sides "$sides" "$@"
for s in $(echo "$checks" | tr , ' '); do
    if [ ! -f guestcheck/check.sh ]; then
        echo "@@check $s missing"
        continue
    fi
    (cd guestcheck && sh ./check.sh ../$s/core/ukvm-bin) >/tmp/check-$s.out 2>&1
    st=$?
    sed "s/^/@@g $s /" /tmp/check-$s.out
    echo "@@check $s $st"
done
echo "@@harness-end"
