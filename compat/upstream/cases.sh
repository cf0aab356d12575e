#!/bin/sh
# cases.sh: the ukvm cases of Solo5 v0.3.1's tests/tests.bats, run inside a test host (busybox sh).
#
#   cases.sh TARGET CASE_TIMEOUT [CASE...]
#
# Run from a directory laid out like upstream's tests/: test_NAME/ukvm-bin
# and test_NAME/test_NAME.ukvm. TARGET is the compiler triple the unikernels
# were built for (upstream skips abort on anything but x86_64). Every case
# uses upstream's command, arguments and expected result; only the time
# limit differs (CASE_TIMEOUT seconds, scaled for emulation).
#
# For each case it prints
#   @@case NAME begin
#   ...the monitor's output (stdout and stderr)...
#   @@case NAME end ok|FAIL|skip REASON
# and exits 0; compat/upstream/test-upstream reads these lines.

TARGET=$1
LIMIT=$2
shift 2
CASES=${*:-hello quiet globals exception fpu time blk ping-serve abort}

DISK=/tmp/disk.img
TAP=tap100
TAP_HOST_IP=10.0.0.1
GUEST_IP=10.0.0.2

# run CMD...: like bats' run: $output gets stdout+stderr, $status the exit
# status. The run is limited to LIMIT seconds by a watchdog that leaves a
# marker when it kills (SIGTERM, SIGKILL 5 s later): $timed_out is then
# "yes". A monitor ended by that SIGTERM exits 1, like a refusal, so the
# marker, not the status, says it was killed. Output goes through a file,
# not $(...): a stray child holding the pipe open must not keep the case
# waiting past its limit.
run() {
    "$@" </dev/null >/tmp/case.out 2>&1 &
    pid=$!
    (
        sleep "$LIMIT"
        kill -0 $pid || exit 0
        : >/tmp/expired.$pid
        kill -TERM $pid
        sleep 5
        kill -KILL $pid
    ) </dev/null >/dev/null 2>&1 &
    dog=$!
    wait $pid
    status=$?
    kill $dog 2>/dev/null
    wait $dog 2>/dev/null
    output=$(cat /tmp/case.out)
    timed_out=
    if [ -f /tmp/expired.$pid ]; then
        timed_out=yes
        rm -f /tmp/expired.$pid
    fi
}

# The verdict of one case goes in $result and $reason.
pass() { result=ok; reason=; }
fail() { result=FAIL; reason=$*; }
skip() { result=skip; reason=$*; }

# expect_status N: the run ended by itself with status N (a run the limit
# killed fails, whatever its status).
expect_status() {
    if [ -n "$timed_out" ]; then
        fail "timed out after ${LIMIT}s (killed; status $status; upstream allows 30s on hardware)"
    elif [ "$status" -eq "$1" ]; then
        pass
    else
        fail "exit status $status, expected $1"
    fi
}

case_hello() {
    run test_hello/ukvm-bin test_hello/test_hello.ukvm Hello_Solo5
    expect_status 0
}

case_quiet() {
    run test_quiet/ukvm-bin test_quiet/test_quiet.ukvm --solo5:quiet
    expect_status 0
    [ "$result" = ok ] || return
    case "$output" in *SUCCESS*) ;; *) fail "no SUCCESS in the output"; return ;; esac
    case "$output" in *Solo5:*) fail "a 'Solo5:' line despite --solo5:quiet" ;; esac
}

case_globals() {
    run test_globals/ukvm-bin test_globals/test_globals.ukvm
    expect_status 0
}

case_exception() {
    run test_exception/ukvm-bin test_exception/test_exception.ukvm
    expect_status 255
}

case_fpu() {
    run test_fpu/ukvm-bin test_fpu/test_fpu.ukvm
    expect_status 0
}

case_time() {
    run test_time/ukvm-bin test_time/test_time.ukvm
    expect_status 0
}

case_blk() {
    dd if=/dev/zero of="$DISK" bs=4k count=1024 2>/dev/null
    run test_blk/ukvm-bin --disk="$DISK" test_blk/test_blk.ukvm
    expect_status 0
    rm -f "$DISK"
}

case_ping_serve() {
    if ! ip link show "$TAP" >/dev/null 2>&1; then
        mktap "$TAP" &&
            ip addr add "$TAP_HOST_IP/24" dev "$TAP" &&
            ip link set dev "$TAP" up ||
            { fail "could not set up $TAP"; output=; return; }
    fi
    # The host side floods 100000 pings, starting a second after the monitor.
    : >/tmp/pingflood.out
    (sleep 1; exec timeout "$LIMIT" pingflood -c 100000 "$GUEST_IP" >/tmp/pingflood.out 2>&1) &
    pinger=$!
    run test_ping_serve/ukvm-bin --net="$TAP" -- test_ping_serve/test_ping_serve.ukvm limit
    expect_status 0
    # A monitor that failed leaves nobody to answer: stop the flood now
    # rather than at its limit.
    if [ "$status" -ne 0 ] && kill "$pinger" 2>/dev/null; then
        echo "(ping flood stopped: the monitor had exited)" >>/tmp/pingflood.out
    fi
    wait "$pinger"
    output="$output
$(cat /tmp/pingflood.out)"
}

case_abort() {
    case "$TARGET" in
    x86_64-linux-gnu) ;;
    *) skip "upstream skips abort on $TARGET: not implemented"; output=; return ;;
    esac
    run test_abort/ukvm-bin --dumpcore test_abort/test_abort.ukvm
    expect_status 255
    [ "$result" = ok ] || return
    core=$(echo "$output" | grep -o 'core\.ukvm\.[0-9]*$')
    if [ -z "$core" ]; then
        fail "the output names no core.ukvm.PID file"
    elif [ ! -f "$core" ]; then
        fail "core file $core was not written"
    else
        output="$output
(core file $core: $(wc -c <"$core") bytes)"
        rm -f "$core"
    fi
}

for c in $CASES; do
    fn=case_$(echo "$c" | tr - _)
    echo "@@case $c begin"
    output= result= reason=
    if type "$fn" >/dev/null 2>&1; then
        "$fn"
    else
        fail "no such case"
    fi
    [ -n "$output" ] && printf '%s\n' "$output"
    echo "@@case $c end $result $reason"
done
exit 0
