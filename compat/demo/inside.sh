#!/bin/sh
# inside.sh: the steps of `make demo`, run inside the test host (busybox sh): hello, blk, net (and Solo5's hello) under our monitor, each timed.
#
# Run from the payload directory that compat/demo/demo lays out:
#   ukvm-bin       our monitor, core only
#   ukvm-bin-blk   our monitor with the library's Rust blk module
#   ukvm-bin-net   our monitor with the library's Rust net module
#   hello.ukvm blk.ukvm netecho.ukvm     the backend's guests (guests/)
#   test_hello.ukvm                      Solo5 v0.3.1's own test (optional)
# Prints each step's commands and output, its time and verdict, then a
# summary; exits non-zero if a step failed.

steps= failed=0 n=0 skipped=0
total=3
[ -f test_hello.ukvm ] && total=4

# now_ms: milliseconds since boot (/proc/uptime has hundredths).
now_ms() {
    read -r up _ </proc/uptime
    echo $((${up%.*} * 1000 + 1${up#*.} * 10 - 1000))
}

# secs MS: "1.23 s"
secs() {
    printf '%d.%02d s' $(($1 / 1000)) $(($1 % 1000 / 10))
}

heading() {
    n=$((n + 1))
    echo
    echo "=== [$n/$total] $1"
    started=$(now_ms)
}

# show CMD...: print the command as typed, then run it, output indented.
show() {
    echo "\$ $*"
    "$@" >/tmp/step.out 2>&1
    st=$?
    sed 's/^/    /' /tmp/step.out
    return $st
}

# verdict NAME OK WHAT_WORKED WHAT_WENT_WRONG: close a step.
verdict() {
    ms=$(($(now_ms) - started))
    if [ "$2" = yes ]; then
        echo "--- $1: ok ($3) in $(secs $ms)"
        steps="$steps
  ok      $(printf '%-12s %9s' "$1" "$(secs $ms)")  $3"
    else
        echo "--- $1: FAILED ($4) after $(secs $ms)"
        steps="$steps
  FAILED  $(printf '%-12s %9s' "$1" "$(secs $ms)")  $4"
        failed=$((failed + 1))
    fi
}

pagekb=$(sed -n 's/^KernelPageSize: *\([0-9]*\) kB$/\1/p' /proc/self/smaps | head -n1)
echo "=== host: Linux $(uname -r) on $(uname -m), ${pagekb} KiB pages, $(nproc) CPU(s), KVM at /dev/kvm"
[ -n "$TESTHOST_NATIVE" ] || echo "    (up $(secs "$(now_ms)") since the emulated machine was switched on)"

# 1. hello: boots, checks the state the monitor promised, exits.
heading "hello: a unikernel that checks its boot state and says hello"
ok=no
show ./ukvm-bin hello.ukvm Hello from the demo && grep -q "hello: SUCCESS" /tmp/step.out && ok=yes
verdict hello $ok "said hello, exit status $st" "exit status $st, or no SUCCESS line"

# 2. blk: a 1 MiB disk image, written and read back by the guest, then
# verified again by a second boot of the guest.
heading "blk: a block device checker on a 1 MiB disk image (Rust blk module)"
dd if=/dev/zero of=/tmp/disk.img bs=512 count=2048 2>/dev/null
ok=no
if show ./ukvm-bin-blk --disk=/tmp/disk.img blk.ukvm &&
    grep -q "blk: SUCCESS" /tmp/step.out &&
    show ./ukvm-bin-blk --disk=/tmp/disk.img blk.ukvm verify=1 &&
    grep -q "blk: SUCCESS" /tmp/step.out; then
    ok=yes
fi
if command -v hexdump >/dev/null; then
    echo "\$ hexdump -C /tmp/disk.img | head -n 2     # what the guest wrote to sector 0"
    hexdump -C /tmp/disk.img | head -n 2 | sed 's/^/    /'
fi
verdict blk $ok "wrote, read back, verified by a second run" "exit status $st, or no SUCCESS line"
rm -f /tmp/disk.img

# 3. net: a tap device on the host side, a guest answering ARP and ping at
# 10.0.0.2; 5 pings, then a flood of 1000.
heading "net: a unikernel answering ping at 10.0.0.2 through a tap device (Rust net module)"
pings=5 flood=1000
echo "\$ mktap tap0 && ip addr add 10.0.0.1/24 dev tap0 && ip link set tap0 up"
ok=no
if mktap tap0 && ip addr add 10.0.0.1/24 dev tap0 && ip link set tap0 up; then
    echo "\$ ./ukvm-bin-net --net=tap0 netecho.ukvm count=$((pings + flood)) &"
    ./ukvm-bin-net --net=tap0 netecho.ukvm count=$((pings + flood)) >/tmp/guest.out 2>&1 &
    guest=$!
    sleep 1
    if command -v ping >/dev/null; then
        show ping -c $pings -A -W 10 10.0.0.2
        pst=$?
    else
        echo "(no ping here: the flood sends $pings more)"
        flood=$((flood + pings)) pings=0 pst=0
    fi
    show pingflood -c $flood -w 60 10.0.0.2
    fst=$?
    # The guest stops by itself after the last answer; make sure it does.
    ( sleep 30; kill $guest 2>/dev/null ) &
    watchdog=$!
    wait $guest
    st=$?
    kill $watchdog 2>/dev/null
    echo "(the guest's output)"
    sed 's/^/    /' /tmp/guest.out
    [ $pst = 0 ] && [ $fst = 0 ] && [ $st = 0 ] && grep -q "netecho: SUCCESS" /tmp/guest.out && ok=yes
    verdict net $ok "answered $pings pings and a flood of $flood" \
        "ping status $pst, pingflood status $fst, guest exit status $st"
    ip link delete tap0
else
    verdict net no "" "could not set up tap0"
fi

# 4. Solo5's own hello, when SOLO5_SRC was there to build it.
if [ -f test_hello.ukvm ]; then
    heading "Solo5 v0.3.1's test_hello, built from the Solo5 source, under our monitor"
    ok=no
    show ./ukvm-bin test_hello.ukvm Hello_Solo5 && grep -q "SUCCESS" /tmp/step.out && ok=yes
    verdict solo5-hello $ok "said hello, exit status $st" "exit status $st, or no SUCCESS line"
else
    skipped=1
    echo
    echo "skip solo5-hello: no Solo5 test_hello.ukvm (needs SOLO5_SRC)"
fi

echo
if [ -n "$TESTHOST_NATIVE" ]; then
    echo "=== summary (times include starting the monitor and the guest; KVM of this machine)"
else
    echo "=== summary (times include starting the monitor and the guest; the host is emulated, so its KVM runs under QEMU's TCG)"
fi
echo "$steps" | sed '1d'
if [ $failed = 0 ]; then
    echo "demo: all $n steps succeeded"
else
    echo "demo: $failed of $n steps FAILED"
fi
echo "demo: $((n - failed)) passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
