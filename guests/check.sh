# check.sh: runs our AArch64 guests under our monitor on real KVM (inside
# the emulated host, from the payload dir) and checks status and output.
# Prints one line per case and "N passed, N failed, N skipped".
#
#   sh check.sh [MONITOR]     (default ./run_guest)

M=${1:-./run_guest}
pass=0 fail=0 skip=0

# check NAME STATUS TEXT... -- COMMAND...: passes when COMMAND exits with
# STATUS and its output (stdout+stderr) holds every TEXT.
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
    out=$("$@" 2>&1 </dev/null)
    st=$?
    ok=1
    [ "$st" = "$want" ] || ok=0
    while IFS= read -r t; do
        [ -z "$t" ] && continue
        printf '%s\n' "$out" | grep -qF -- "$t" || { ok=0; echo "  missing: $t"; }
    done <<TEXTS
$texts
TEXTS
    if [ $ok = 1 ]; then
        echo "PASS $name"
        pass=$((pass + 1))
    else
        echo "FAIL $name: status $st, wanted $want; output:"
        printf '%s\n' "$out" | sed 's/^/    | /'
        fail=$((fail + 1))
    fi
}

check hello 0 "Hello, World" "hello: SUCCESS (exit status 0)" -- $M hello.ukvm
check hello-exit-status 7 "Command line is: 'foo=bar exit=7'" "hello: SUCCESS (exit status 7)" -- $M hello.ukvm foo=bar exit=7
long=$(printf '%8191s' '' | tr ' ' x)
check cmdline-longest 0 "hello: command line of 8191 characters" "hello: SUCCESS" -- $M hello.ukvm $long
check mem-1-is-2mib 0 "adjusting memory to 2097152 bytes" "mem_size=0x200000 " "hello: SUCCESS" -- $M --mem=1 hello.ukvm
check mem-3-rounds-down 0 "adjusting memory to 2097152 bytes" "mem_size=0x200000 " -- $M --mem=3 hello.ukvm
check mem-4096 0 "mem_size=0x100000000 " "hello: SUCCESS" -- $M --mem=4096 hello.ukvm
check mem-too-big 1 "guest memory size 4297064448 bytes exceeds the max size 4294967296 bytes" -- $M --mem=4098 hello.ukvm
check hcbench 0 "hcbench: SUCCESS" -- $M hcbench.ukvm n=2000

# C code using struct ukvm_hvb (fds, kvm_run) as upstream's modules do.
check hvb-from-c 0 "hvbcheck: fds live, pc=0x100000, mem_size=0x20000000" "hello: SUCCESS" \
    "MMIO, halt status 0" -- ./ukvm-bin-hvbcheck hello.ukvm
# The third-party example module (c-tests/example): its setup checks the
# core's refusals, then its halt hook reports the guest's status.
check example-module 7 "example: a64: guest halted with status 7" "hello: SUCCESS (exit status 7)" \
    -- ./ukvm-bin-example --example=a64 hello.ukvm exit=7
check example-module-usage 1 "Compiled-in modules: core example" "--example=TAG" -- ./ukvm-bin-example --help

# hcbench n=100 makes 105 hypercalls: 102 WALLTIME, 2 PUTS, HALT.
if ./ukvm-bin-hvbcheck hcbench.ukvm n=100 2>&1 | grep -qF "hvbcheck: 105 exits seen, 105 MMIO, halt status 0"; then
    echo "PASS hvb-sees-every-hypercall-exit"
    pass=$((pass + 1))
else
    echo "FAIL hvb-sees-every-hypercall-exit:"
    ./ukvm-bin-hvbcheck hcbench.ukvm n=100 2>&1 | sed 's/^/    | /'
    fail=$((fail + 1))
fi

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

# check_sigterm NAME COMMAND...: COMMAND, sent SIGTERM after 2 s, ends
# with upstream's message and status 1.
check_sigterm() {
    name=$1
    shift
    "$@" >sigterm.out 2>&1 &
    pid=$!
    sleep 2
    kill -TERM $pid
    wait $pid
    st=$?
    if [ $st = 1 ] && grep -qF "Exiting on signal 15" sigterm.out; then
        echo "PASS $name"
        pass=$((pass + 1))
    else
        echo "FAIL $name: status $st; output:"
        sed 's/^/    | /' sigterm.out
        fail=$((fail + 1))
    fi
}

# A spinning guest ends on SIGTERM with upstream's message.
check_sigterm hostile-spin-sigterm $M $H=spin

# Block and network guests need monitors with upstream's blk and net
# modules (built from SOLO5_SRC by mk/aarch64.mk when it is present).
if [ -x ./ukvm-bin-blk ]; then
    B=./ukvm-bin-blk
    dd if=/dev/zero of=/tmp/disk.img bs=512 count=2048 2>/dev/null
    check blk-write-read 0 "num_sectors=2048" "blk: SUCCESS (wrote and read back)" -- $B --disk=/tmp/disk.img blk.ukvm
    check blk-persists 0 "blk: SUCCESS (verified earlier writes)" -- $B --disk=/tmp/disk.img blk.ukvm verify=1
    if [ "$(head -c 17 /tmp/disk.img)" = "ukvm-blk sector 0" ]; then
        echo "PASS blk-host-sees-data"
        pass=$((pass + 1))
    else
        echo "FAIL blk-host-sees-data: disk starts with '$(head -c 17 /tmp/disk.img)'"
        fail=$((fail + 1))
    fi
    dd if=/dev/zero of=/tmp/fresh.img bs=512 count=64 2>/dev/null
    check blk-verify-can-fail 1 "blk: FAILED: sector 0 reads back different data" -- $B --disk=/tmp/fresh.img blk.ukvm verify=1
    check blk-no-disk 1 "Module \`blk' setup failed" -- $B blk.ukvm
else
    echo "SKIP blk: no ukvm-bin-blk in the payload (needs SOLO5_SRC for upstream's blk module)"
    skip=$((skip + 1))
fi

if [ -x ./ukvm-bin-net ]; then
    N=./ukvm-bin-net
    mktap tap100 && ip addr add 10.0.0.1/24 dev tap100 && ip link set tap100 up
    # 5 pings, then a flood of 200: the guest stops after 205 answers.
    $N --net=tap100 netecho.ukvm count=205 >net.out 2>&1 &
    pid=$!
    sleep 1
    ping -c 5 -W 5 10.0.0.2 >ping.out 2>&1
    pst=$?
    pingflood -c 200 -w 60 10.0.0.2 >flood.out 2>&1
    fst=$?
    wait $pid
    st=$?
    if [ $pst = 0 ] && [ $fst = 0 ] && [ $st = 0 ] && grep -qF "netecho: SUCCESS (answered 205 echo requests)" net.out; then
        echo "PASS net-ping-echo"
        pass=$((pass + 1))
        sed 's/^/timing: /' flood.out
    else
        echo "FAIL net-ping-echo: ping $pst, pingflood $fst, guest $st; output:"
        cat ping.out flood.out net.out | sed 's/^/    | /'
        fail=$((fail + 1))
    fi
else
    echo "SKIP net: no ukvm-bin-net in the payload (needs SOLO5_SRC for upstream's net module)"
    skip=$((skip + 1))
fi

# Solo5's own test unikernels, when the payload has them.
. ./solo5-check.sh

# The same guests under upstream's C monitor, when the payload has it.
. ./diff.sh

# A guest asleep in WFI (inside KVM_RUN) still ends on SIGTERM.
check_sigterm hostile-wfi-sigterm $M $H=wfi

# Boot-to-exit time of hello (informational; /proc/uptime ticks are 10 ms).
uptime_cs() {
    read -r up _ </proc/uptime
    echo "${up%.*}${up#*.}"
}
t0=$(uptime_cs)
i=0
while [ $i -lt 20 ]; do
    $M hello.ukvm >/dev/null 2>&1
    i=$((i + 1))
done
t1=$(uptime_cs)
echo "timing: hello boot-to-exit $(( (t1 - t0) * 10 / 20 )) ms average over 20 runs"
$M hcbench.ukvm n=10000 2>&1 | grep "hcbench: [0-9]" | sed 's/^/timing: /'

echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
