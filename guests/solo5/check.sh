# check.sh: runs Solo5's own test unikernels under our monitor on real KVM
# inside the emulated host, with the statuses and output upstream's
# tests.bats expects. Sourced by ../check.sh (uses its `check`).

if [ -f test_hello.ukvm ]; then
    check solo5-hello 0 "Hello, World" "Command line is: 'Hello_Solo5'" "SUCCESS" -- $M test_hello.ukvm Hello_Solo5
    check solo5-quiet 0 "SUCCESS" -- $M test_quiet.ukvm --solo5:quiet
    if $M test_quiet.ukvm --solo5:quiet 2>&1 | grep -q "Solo5:"; then
        echo "FAIL solo5-quiet-is-quiet: 'Solo5:' lines printed"
        fail=$((fail + 1))
    else
        echo "PASS solo5-quiet-is-quiet"
        pass=$((pass + 1))
    fi
    check solo5-globals 0 "SUCCESS" -- $M test_globals.ukvm
    check solo5-exception 255 "Solo5: ABORT: cpu_aarch64.c" -- $M test_exception.ukvm
    check solo5-fpu 0 "SUCCESS" -- $M test_fpu.ukvm
    # test_time allows 100 ms of oversleep, which an emulated host can
    # exceed now and then: up to 3 tries, the case passes on the first
    # success (a monitor that breaks time fails all three).
    tries=0
    while :; do
        tries=$((tries + 1))
        out=$($M test_time.ukvm 2>&1)
        st=$?
        [ $st = 0 ] && printf '%s\n' "$out" | grep -q SUCCESS && break
        [ $tries = 3 ] && break
    done
    if [ $st = 0 ]; then
        echo "PASS solo5-time (try $tries)"
        pass=$((pass + 1))
    else
        echo "FAIL solo5-time: status $st after 3 tries; output:"
        printf '%s\n' "$out" | sed 's/^/    | /'
        fail=$((fail + 1))
    fi
    check solo5-abort 255 "solo5_abort() called" -- $M test_abort.ukvm
    if [ -x ./ukvm-bin-blk ]; then
        dd if=/dev/zero of=/tmp/solo5-disk.img bs=512 count=20480 2>/dev/null
        check solo5-blk 0 "SUCCESS" -- ./ukvm-bin-blk --disk=/tmp/solo5-disk.img test_blk.ukvm
    else
        echo "SKIP solo5-blk: no ukvm-bin-blk"
        skip=$((skip + 1))
    fi
    if [ -x ./ukvm-bin-net ]; then
        # Upstream floods 100000 pings; under emulation that takes many
        # minutes, so: 5 pings and a flood of 500, then SIGTERM.
        # tap100 (host 10.0.0.1/24) as ../check.sh set it up, or new.
        ip link show tap100 >/dev/null 2>&1 || { mktap tap100 && ip addr add 10.0.0.1/24 dev tap100 && ip link set tap100 up; }
        ./ukvm-bin-net --net=tap100 test_ping_serve.ukvm >serve.out 2>&1 &
        pid=$!
        sleep 2
        ping -c 5 -W 5 10.0.0.2 >sping.out 2>&1
        pst=$?
        pingflood -c 500 -w 60 10.0.0.2 >sflood.out 2>&1
        fst=$?
        kill -TERM $pid
        wait $pid
        st=$?
        if [ $pst = 0 ] && [ $fst = 0 ] && [ $st = 1 ] && grep -q "Exiting on signal 15" serve.out; then
            echo "PASS solo5-ping-serve"
            pass=$((pass + 1))
            sed 's/^/timing: solo5 ping-serve /' sflood.out
        else
            echo "FAIL solo5-ping-serve: ping $pst, pingflood $fst, monitor $st; output:"
            cat sping.out sflood.out serve.out | sed 's/^/    | /'
            fail=$((fail + 1))
        fi
    else
        echo "SKIP solo5-ping-serve: no ukvm-bin-net"
        skip=$((skip + 1))
    fi
else
    echo "SKIP solo5: no Solo5 test unikernels in the payload (needs SOLO5_SRC)"
    skip=$((skip + 1))
fi
