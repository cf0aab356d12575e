# check.sh: runs Solo5's own test unikernels under our monitor on real KVM
# inside the emulated host, with the statuses and output upstream's
# tests.bats expects. Sourced by ../check.sh (uses its check, limit,
# skipped, ok, ko); without the test unikernels or a module's monitor,
# each case that needs them is skipped by name.

need=
[ -f test_hello.ukvm ] || need="no Solo5 test unikernels in the payload (needs SOLO5_SRC)"
check solo5-hello 0 "Hello, World" "Command line is: 'Hello_Solo5'" "SUCCESS" -- $M test_hello.ukvm Hello_Solo5
# Quiet: the test's SUCCESS and no line of Solo5's banner.
check solo5-quiet 0 "SUCCESS" "!Solo5:" -- $M test_quiet.ukvm --solo5:quiet
check solo5-globals 0 "SUCCESS" -- $M test_globals.ukvm
check solo5-exception 255 "Solo5: ABORT: cpu_aarch64.c" -- $M test_exception.ukvm
check solo5-fpu 0 "SUCCESS" -- $M test_fpu.ukvm
# test_time allows 100 ms of oversleep, which an emulated host can exceed
# now and then: up to 3 tries, the case passes on the first success
# (status 0 and SUCCESS; a monitor that breaks time fails all three).
if ! skipped solo5-time; then
    tries=0 good=no
    while [ $tries -lt 3 ]; do
        tries=$((tries + 1))
        limit /tmp/case.out $M test_time.ukvm
        if [ -z "$timed_out" ] && [ "$st" = 0 ] && grep -q SUCCESS /tmp/case.out; then
            good=yes
            break
        fi
    done
    if [ $good = yes ]; then
        ok "solo5-time (try $tries)"
    else
        ko solo5-time "status $st${timed_out:+ (timed out)} on each of 3 tries; last output:"
        show /tmp/case.out
    fi
fi
check solo5-abort 255 "solo5_abort() called" -- $M test_abort.ukvm

solo5_need=$need
[ -n "$need" ] || [ -x ./ukvm-bin-blk ] || need="no ukvm-bin-blk in the payload (needs SOLO5_SRC)"
dd if=/dev/zero of=/tmp/solo5-disk.img bs=512 count=20480 2>/dev/null
check solo5-blk 0 "SUCCESS" -- ./ukvm-bin-blk --disk=/tmp/solo5-disk.img test_blk.ukvm
rm -f /tmp/solo5-disk.img

need=$solo5_need
[ -n "$need" ] || [ -x ./ukvm-bin-net ] || need="no ukvm-bin-net in the payload (needs SOLO5_SRC)"
if ! skipped solo5-ping-serve; then
    # Upstream floods 100000 pings; under emulation that takes many
    # minutes, so: 5 pings and a flood of 500, then SIGTERM.
    # tap100 (host 10.0.0.1/24) as ../check.sh set it up, or new.
    ip link show tap100 >/dev/null 2>&1 || { mktap tap100 && ip addr add 10.0.0.1/24 dev tap100 && ip link set tap100 up; }
    limit_start /tmp/serve.out ./ukvm-bin-net --net=tap100 test_ping_serve.ukvm
    serve=$lpid
    sleep 2
    ping -c 5 -W 5 10.0.0.2 >/tmp/sping.out 2>&1
    pst=$?
    pingflood -c 500 -w 60 10.0.0.2 >/tmp/sflood.out 2>&1
    fst=$?
    # Still serving after the flood; then our SIGTERM ends it.
    alive=no
    kill -0 $serve 2>/dev/null && alive=yes
    kill -TERM $serve 2>/dev/null
    limit_wait
    if [ $pst = 0 ] && [ $fst = 0 ] && [ $alive = yes ] && [ -z "$timed_out" ] && [ $st = 1 ] &&
        grep -q "Exiting on signal 15" /tmp/serve.out; then
        ok solo5-ping-serve
        sed 's/^/timing: solo5 ping-serve /' /tmp/sflood.out
    else
        ko solo5-ping-serve "ping $pst, pingflood $fst, still serving after them: $alive, monitor $st${timed_out:+ (timed out)}; output:"
        cat /tmp/sping.out /tmp/sflood.out /tmp/serve.out | sed 's/^/    | /'
    fi
fi
need=
