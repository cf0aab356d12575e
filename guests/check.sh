# check.sh: runs our AArch64 guests under our monitor on real KVM (inside
# the emulated host, from the payload dir) and checks status and output.
# Prints one line per case (PASS NAME, FAIL NAME: why, or skip NAME: why)
# and last "N passed, N failed, N skipped".
#
#   sh check.sh [MONITOR]     (default ./run_guest)
#
# Every run has a time limit (LIMIT seconds). A run the limit had to kill
# fails as "timed out", whatever its status: our monitor ends on the
# limit's SIGTERM with status 1, the same status as a refusal, so the
# status alone cannot tell them apart.

M=${1:-./run_guest}
LIMIT=${CHECK_LIMIT:-120}
pass=0 fail=0 skip=0
# When set, why the cases that follow cannot run: each is skipped by name.
need=

ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
# skipped NAME: true (and the case counted as skipped) when $need is set.
skipped() {
    [ -n "$need" ] || return 1
    echo "skip $1: $need"
    skip=$((skip + 1))
}
show() { sed 's/^/    | /' "$1"; }

# limit_start OUT CMD...: CMD in the background (stdin /dev/null, stdout
# and stderr to OUT) under a watchdog that, after LIMIT seconds, marks it
# expired and kills it (SIGTERM, SIGKILL 5 s later). limit_wait: wait for
# it; st gets its status, timed_out "yes" when the watchdog killed it.
limit_start() {
    _out=$1
    shift
    "$@" </dev/null >"$_out" 2>&1 &
    lpid=$!
    (
        sleep "$LIMIT"
        kill -0 $lpid || exit 0
        : >/tmp/expired.$lpid
        kill -TERM $lpid
        sleep 5
        kill -KILL $lpid
    ) </dev/null >/dev/null 2>&1 &
    ldog=$!
}
limit_wait() {
    wait $lpid
    st=$?
    kill $ldog 2>/dev/null
    wait $ldog 2>/dev/null
    timed_out=
    if [ -f /tmp/expired.$lpid ]; then
        timed_out=yes
        rm -f /tmp/expired.$lpid
    fi
}
# limit OUT CMD...: both.
limit() {
    limit_start "$@"
    limit_wait
}

# check NAME STATUS TEXT... -- COMMAND...: passes when COMMAND exits with
# STATUS before the limit and its output (stdout+stderr) holds every TEXT;
# a TEXT starting with ! must be absent. A panic of ours (the C ABI guard's
# "internal error in", Rust's "panicked at") fails any case.
check() {
    name=$1 want=$2
    shift 2
    texts=
    while [ "$1" != "--" ]; do
        texts="$texts$1
"
        shift
    done
    shift
    skipped "$name" && return
    limit /tmp/case.out "$@"
    why=
    if [ -n "$timed_out" ]; then
        why="timed out after ${LIMIT}s (killed by the limit; its status $st is not an answer)"
    elif [ "$st" != "$want" ]; then
        why="status $st, wanted $want"
    fi
    while IFS= read -r t; do
        case "$t" in
        '') ;;
        !*) ! grep -qF -- "${t#!}" /tmp/case.out || why="$why; has: ${t#!}" ;;
        *) grep -qF -- "$t" /tmp/case.out || why="$why; missing: $t" ;;
        esac
    done <<TEXTS
$texts
TEXTS
    if grep -qE "internal error in |panicked at" /tmp/case.out; then
        why="$why; a panic of ours"
    fi
    if [ -z "$why" ]; then
        ok "$name"
    else
        ko "$name" "${why#; }; output:"
        show /tmp/case.out
    fi
}

# signal_run MONITOR SIGNAL ARGS...: MONITOR runs the hostile guest
# (ARGS), is sent SIGNAL (by name) once the guest has printed its first
# line, and gets 10 s to end. Output in /tmp/sig.out, status in st; why
# is empty, or says what went wrong before the status could be judged.
signal_run() {
    _mon=$1 _sig=$2
    shift 2
    "$_mon" "$@" </dev/null >/tmp/sig.out 2>&1 &
    _pid=$!
    why= _i=0
    while [ $_i -lt 100 ] && ! grep -q '^hostile: case=' /tmp/sig.out; do
        kill -0 $_pid 2>/dev/null || break
        sleep 0.3
        _i=$((_i + 1))
    done
    if ! grep -q '^hostile: case=' /tmp/sig.out; then
        why="the guest never printed its first line"
    elif ! kill -0 $_pid 2>/dev/null; then
        why="the monitor had exited before the signal"
    fi
    kill -"$_sig" $_pid 2>/dev/null
    _i=0
    while [ $_i -lt 33 ] && kill -0 $_pid 2>/dev/null; do
        sleep 0.3
        _i=$((_i + 1))
    done
    if kill -0 $_pid 2>/dev/null; then
        why="${why:+$why; }still running 10 s after SIG$_sig"
        kill -KILL $_pid
    fi
    wait $_pid
    st=$?
}

# signal_case NAME SIGNAL NUMBER ARGS...: our monitor, sent SIGNAL while
# the guest runs, ends at once with upstream's "Exiting on signal NUMBER"
# and status 1.
signal_case() {
    name=$1 sig=$2 num=$3
    shift 3
    skipped "$name" && return
    signal_run $M "$sig" "$@"
    [ "$st" = 1 ] || why="${why:+$why; }status $st, wanted 1"
    grep -qF "Exiting on signal $num" /tmp/sig.out || why="${why:+$why; }no 'Exiting on signal $num'"
    if [ -z "$why" ]; then ok "$name"; else ko "$name" "$why; output:"; show /tmp/sig.out; fi
}

check hello 0 "Hello, World" "hello: SUCCESS (exit status 0)" -- $M hello.ukvm
check hello-exit-status 7 "Command line is: 'foo=bar exit=7'" "hello: SUCCESS (exit status 7)" -- $M hello.ukvm foo=bar exit=7
long=$(printf '%8191s' '' | tr ' ' x)
check cmdline-longest 0 "hello: command line of 8191 characters" "hello: SUCCESS" -- $M hello.ukvm $long
check mem-1-is-2mib 0 "adjusting memory to 2097152 bytes" "mem_size=0x200000 " "hello: SUCCESS" -- $M --mem=1 hello.ukvm
check mem-3-rounds-down 0 "adjusting memory to 2097152 bytes" "mem_size=0x200000 " -- $M --mem=3 hello.ukvm
check mem-4096 0 "mem_size=0x100000000 " "hello: SUCCESS" -- $M --mem=4096 hello.ukvm
check mem-too-big 1 "guest memory size 4297064448 bytes exceeds the max size 4294967296 bytes" "!hello:" -- $M --mem=4098 hello.ukvm
check hcbench 0 "hcbench: SUCCESS" -- $M hcbench.ukvm n=2000

# C code using struct ukvm_hvb (fds, kvm_run) as upstream's modules do.
check hvb-from-c 0 "hvbcheck: fds live, pc=0x100000, mem_size=0x20000000" "hello: SUCCESS" \
    "MMIO, halt status 0" -- ./ukvm-bin-hvbcheck hello.ukvm
# hcbench n=100 makes 105 hypercalls: 102 WALLTIME, 2 PUTS, HALT.
check hvb-sees-every-hypercall-exit 0 "hvbcheck: 105 exits seen, 105 MMIO, halt status 0" \
    -- ./ukvm-bin-hvbcheck hcbench.ukvm n=100
# The third-party example module (c-tests/example): its setup checks the
# core's refusals, then its halt hook reports the guest's status.
check example-module 7 "example: a64: guest halted with status 7" "hello: SUCCESS (exit status 7)" \
    -- ./ukvm-bin-example --example=a64 hello.ukvm exit=7
check example-module-usage 1 "Compiled-in modules: core example" "--example=TAG" -- ./ukvm-bin-example --help

# Hostile guests: each must end with the right message and status, the
# monitor never crashing.
H="hostile.ukvm case"
check sctlr-intended-value 0 "SCTLR_EL1=0x30d01805" -- $M $H=show-sctlr
check hostile-nullderef 255 "trap: vector=4 esr=0x96000007 " "far=0x0" -- $M $H=nullderef
check hostile-above-ram 255 "trap: vector=4 " "far=0x20001000" -- $M --mem=512 $H=above-ram
check hostile-write-text 1 "KVM: host/guest translation fault: pc=0x" -- $M $H=write-text
check hostile-mmio-read 1 "Invalid guest mmio access: mmio=0x100000010 len=4" -- $M $H=mmio-read
check hostile-mmio-store64 1 "Invalid guest mmio access: mmio=0x100000010 len=8" -- $M $H=mmio-store64
check hostile-mmio-past-max 1 "Invalid guest mmio access: mmio=0x100000058" -- $M $H=mmio-past-max
check hostile-mmio-far 1 "Invalid guest mmio access: mmio=0x110000000" -- $M $H=mmio-far
check hostile-hypercall-0 1 "Invalid guest hypercall: num=0" -- $M $H=hypercall-0
check hostile-halt-bad-gpa 1 "Invalid guest access: gpa=0xfffffff0, sz=16" -- $M $H=halt-bad-gpa
check hostile-puts-bad-gpa 1 "Invalid guest access: gpa=0x1ffffffc, sz=4096" -- $M $H=puts-bad-gpa
check hostile-mmio-stp 1 "KVM: ioctl (RUN) failed: " -- $M $H=mmio-stp
# HVC and SMC are answered by KVM (-1): the monitor must simply go on.
check hostile-psci-off 0 "hvc returned x0=0xffffffffffffffff" "still running" -- $M $H=psci-off
check hostile-smc 0 "smc returned x0=0xffffffffffffffff" "still running" -- $M $H=smc
check hostile-exec-mmio 255 "trap: vector=4 esr=0x" "elr=0x100000000 " -- $M $H=exec-mmio
# (the loader refuses it; the backend would refuse it too, not crash)
check hostile-kernel-over-boot-area 1 "lowhello.ukvm: Exec format error" -- $M lowhello.ukvm
check hostile-walltime-into-text 1 "Invalid guest access: gpa=0x" -- $M $H=walltime-into-text
check hostile-poll-into-text 1 "Invalid guest access: gpa=0x" -- $M $H=poll-into-text
check hostile-puts-len-wraps 1 "Invalid guest access: gpa=0x100000, sz=18446744073708503040" -- $M $H=puts-len-wraps
check hostile-struct-straddles-end 1 "Invalid guest access: gpa=0x1ffffff8, sz=16" -- $M $H=struct-straddles-end
check hostile-mmio-store8 1 "Invalid guest mmio access: mmio=0x100000010 len=1" -- $M $H=mmio-store8
check hostile-mmio-store16 1 "Invalid guest mmio access: mmio=0x100000010 len=2" -- $M $H=mmio-store16
check hostile-hypercall-unregistered 1 "Invalid guest hypercall: num=4" -- $M $H=hypercall-unregistered
check hostile-halt-cookie-past-end 1 "Invalid guest access: gpa=0x1ffffff0, sz=512" -- $M $H=halt-cookie-past-end
check hostile-exit-256 1 "Guest exit status 256 is out of range (0-255)" -- $M $H=exit-256
check hostile-exit-minus-1 1 "Guest exit status -1 is out of range (0-255)" -- $M $H=exit-minus-1
check hostile-stack-overflow 1 "KVM: host/guest translation fault: pc=0x" -- $M --mem=2 $H=stack-overflow

# The limit itself: a spinning guest, expected to be refused (status 1),
# under a 3 s limit. The limit's SIGTERM ends it with status 1 too; check
# must still call it a timeout, not a pass.
( LIMIT=3; check limit-probe 1 "" -- $M $H=spin ) >/tmp/probe.out 2>&1
if grep -q "^FAIL limit-probe: timed out after 3s" /tmp/probe.out; then
    ok harness-timeout-is-not-a-refusal
else
    ko harness-timeout-is-not-a-refusal "check did not report the killed run as timed out:"
    show /tmp/probe.out
fi

# SIGTERM and SIGINT from another process while the guest runs, spinning
# in guest code or asleep in WFI (inside KVM_RUN): upstream's message.
signal_case hostile-spin-sigterm TERM 15 $H=spin
signal_case hostile-spin-sigint INT 2 $H=spin
signal_case hostile-wfi-sigterm TERM 15 $H=wfi
signal_case hostile-wfi-sigint INT 2 $H=wfi

# PUTS to a pipe whose reader has gone (`ukvm-bin hello.ukvm | true`).
# The library keeps SIGPIPE as inherited (docs/differences.md): with the
# default action the monitor dies of it, as upstream's does (status 141 in
# a shell, nothing on stderr); inherited ignored, the write fails and the
# monitor ends with "puts: write failed: Broken pipe", status 1.
# pipe_run MONITOR [ignore]: MONITOR runs hello.ukvm with stdout a pipe
# whose reader (true) is gone before it starts ("ignore": SIGPIPE ignored
# by the shell that starts it). pst: its status as the shell saw it;
# /tmp/pipe.err: its stderr; timed_out as for limit.
pipe_run() {
    rm -f /tmp/pipe.st /tmp/pipe.err
    _trap=
    [ "${2:-}" != ignore ] || _trap='trap "" PIPE; '
    limit /tmp/pipe.sh.out sh -c "$_trap"'{ sleep 1; "$0" hello.ukvm 2>/tmp/pipe.err; echo $? >/tmp/pipe.st; } | true' "$1"
    pst=$(cat /tmp/pipe.st 2>/dev/null)
}
# pipe_case NAME [ignore] STATUS STDERR: STDERR "=empty" for none.
pipe_case() {
    name=$1
    [ "$2" = ignore ] && { mode=ignore; shift; } || mode=
    want_st=$2 want_err=$3
    skipped "$name" && return
    pipe_run $M $mode
    why=
    [ -z "$timed_out" ] || why="timed out after ${LIMIT}s"
    [ "$pst" = "$want_st" ] || why="${why:+$why; }status ${pst:-none}, wanted $want_st"
    if [ "$want_err" = =empty ]; then
        [ ! -s /tmp/pipe.err ] || why="${why:+$why; }stderr not empty"
    else
        grep -qF -- "$want_err" /tmp/pipe.err || why="${why:+$why; }stderr lacks '$want_err'"
    fi
    if [ -z "$why" ]; then ok "$name"; else ko "$name" "$why; stderr:"; show /tmp/pipe.err; fi
}
pipe_case puts-to-closed-pipe-dies-of-sigpipe 141 =empty
pipe_case puts-to-closed-pipe-sigpipe-ignored ignore 1 "puts: write failed: Broken pipe"

# Block and network guests need monitors with upstream's blk and net
# modules (built from SOLO5_SRC by mk/aarch64.mk when it is present).
B=./ukvm-bin-blk
need=
[ -x $B ] || need="no ukvm-bin-blk in the payload (needs SOLO5_SRC for upstream's blk module)"
dd if=/dev/zero of=/tmp/disk.img bs=512 count=2048 2>/dev/null
check blk-write-read 0 "num_sectors=2048" "blk: SUCCESS (wrote and read back)" -- $B --disk=/tmp/disk.img blk.ukvm
check blk-persists 0 "blk: SUCCESS (verified earlier writes)" -- $B --disk=/tmp/disk.img blk.ukvm verify=1
if ! skipped blk-host-sees-data; then
    if [ "$(head -c 17 /tmp/disk.img)" = "ukvm-blk sector 0" ]; then
        ok blk-host-sees-data
    else
        ko blk-host-sees-data "disk starts with '$(head -c 17 /tmp/disk.img)'"
    fi
fi
dd if=/dev/zero of=/tmp/fresh.img bs=512 count=64 2>/dev/null
check blk-verify-can-fail 1 "blk: FAILED: sector 0 reads back different data" -- $B --disk=/tmp/fresh.img blk.ukvm verify=1
check blk-no-disk 1 "Module \`blk' setup failed" -- $B blk.ukvm

N=./ukvm-bin-net
need=
[ -x $N ] || need="no ukvm-bin-net in the payload (needs SOLO5_SRC for upstream's net module)"
if ! skipped net-ping-echo; then
    mktap tap100 && ip addr add 10.0.0.1/24 dev tap100 && ip link set tap100 up
    # 5 pings, then a flood of 200: the guest stops after 205 answers.
    limit_start /tmp/net.out $N --net=tap100 netecho.ukvm count=205
    sleep 1
    ping -c 5 -W 5 10.0.0.2 >/tmp/ping.out 2>&1
    pst=$?
    pingflood -c 200 -w 60 10.0.0.2 >/tmp/flood.out 2>&1
    fst=$?
    limit_wait
    if [ $pst = 0 ] && [ $fst = 0 ] && [ -z "$timed_out" ] && [ $st = 0 ] &&
        grep -qF "netecho: SUCCESS (answered 205 echo requests)" /tmp/net.out; then
        ok net-ping-echo
        sed 's/^/timing: /' /tmp/flood.out
    else
        ko net-ping-echo "ping $pst, pingflood $fst, guest $st${timed_out:+ (timed out after ${LIMIT}s)}; output:"
        cat /tmp/ping.out /tmp/flood.out /tmp/net.out | sed 's/^/    | /'
    fi
fi
need=

# Solo5's own test unikernels, when the payload has them.
. ./solo5-check.sh

# The same guests under upstream's C monitor, when the payload has it.
. ./diff.sh
need=

# Boot-to-exit time of hello (informational; /proc/uptime ticks are 10 ms);
# each run must still succeed.
uptime_cs() {
    read -r up _ </proc/uptime
    echo "${up%.*}${up#*.}"
}
t0=$(uptime_cs)
i=0 bad=
while [ $i -lt 20 ]; do
    limit /tmp/case.out $M hello.ukvm
    [ "$st" = 0 ] && [ -z "$timed_out" ] || bad="run $i: status $st${timed_out:+, timed out}"
    i=$((i + 1))
done
t1=$(uptime_cs)
if [ -z "$bad" ]; then ok hello-20-runs; else ko hello-20-runs "$bad"; fi
echo "timing: hello boot-to-exit $(( (t1 - t0) * 10 / 20 )) ms average over 20 runs"
limit /tmp/case.out $M hcbench.ukvm n=10000
if [ "$st" = 0 ] && [ -z "$timed_out" ] && grep -q "hcbench: [0-9]" /tmp/case.out; then
    ok hcbench-10000
    grep "hcbench: [0-9]" /tmp/case.out | sed 's/^/timing: /'
else
    ko hcbench-10000 "status $st${timed_out:+, timed out}; output:"
    show /tmp/case.out
fi

echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
