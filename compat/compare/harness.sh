# harness.sh: what `make test-harness` runs inside the emulated host: the compare cases of its subset under every monitor, then guests/check.sh under ours and the mutants named.
#
#   sh harness.sh SIDES CHECK_SIDES GLOB...     (from the payload dir)
#
# SIDES (comma-separated) go to cases.sh with the GLOBs: its @@case records,
# ending with @@end. For each side in CHECK_SIDES (comma-separated, may be
# empty), guestcheck/check.sh (the payload of make test-aarch64) runs with
# a copy of ./SIDE/core/ukvm-bin as the monitor, stopped after CHECK_TIMEOUT seconds
# (default 300); its output lines come prefixed "@@g SIDE ", then
# "@@check SIDE STATUS" (STATUS `timeout` if it was stopped). "@@time WHAT
# SECONDS" lines time each part. Ends with @@harness-end.
sides=$1 checks=$2
shift 2
uptime_s() { cut -d. -f1 /proc/uptime; }
t0=$(uptime_s)
sh ./cases.sh --sides "$sides" "$@"
echo "@@time cases $(( $(uptime_s) - t0 ))"
# cases.sh's tap holds 10.0.0.1/24, the address check.sh gives its own tap:
# take it away, or check.sh's pings would go to the wrong tap.
ip addr flush dev tapc0 2>/dev/null
ip link set tapc0 down 2>/dev/null
for s in $(echo "$checks" | tr , ' '); do
    if [ ! -f guestcheck/check.sh ]; then
        echo "@@check $s missing"
        continue
    fi
    t0=$(uptime_s)
    rm -f /tmp/check-$s.fired
    # As ./NAME in check.sh's directory, as its own monitor is (diff.sh
    # recognises the monitor's messages by that name).
    cp $s/core/ukvm-bin guestcheck/mon-$s
    (cd guestcheck && exec sh ./check.sh ./mon-$s) >/tmp/check-$s.out 2>&1 &
    cpid=$!
    (sleep ${CHECK_TIMEOUT:-300}; kill -0 $cpid 2>/dev/null && : >/tmp/check-$s.fired && kill -TERM $cpid) \
        >/dev/null 2>&1 </dev/null &
    wpid=$!
    wait $cpid
    st=$?
    kill $wpid 2>/dev/null
    [ -e /tmp/check-$s.fired ] && st=timeout
    sed "s/^/@@g $s /" /tmp/check-$s.out
    echo "@@check $s $st"
    echo "@@time check-$s $(( $(uptime_s) - t0 ))"
done
echo "@@harness-end"
