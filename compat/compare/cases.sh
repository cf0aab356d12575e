# cases.sh: runs every compare case under upstream's monitor (./c/SET/ukvm-bin) and ours (./rust/SET/ukvm-bin) inside the emulated host; prints records for compat/compare/compare.
#
#   sh cases.sh [--sides SIDE,SIDE...] [GLOB...]
#                          (from the payload dir, inside compat/testhost)
#
#   --sides  the monitors to run, each ./SIDE/SET/ukvm-bin; default c,rust
#            (make test-harness adds its deliberately broken monitors)
#   GLOB     run only the cases whose name matches one (default: every case)
#
# Per case and side:  @@case NAME SIDE STATUS OUT_MD5 ERR_MD5 DISK_MD5 PINGS
# then its output:    @@o NAME SIDE LINE (guest console, stdout)
#                     @@e NAME SIDE LINE (monitor diagnostics, stderr)
# STATUS is the monitor's exit status, or `timeout` when the case's timer
# fired: the monitor was still running and got SIGTERM (then SIGKILL 5 s
# later), however it then exited; so a monitor that ran until killed is
# never mistaken for one that refused (both would exit 1). PINGS is the
# number of pings the guest answered in a net case (`-` elsewhere).
# SET is the module set the case's options need, as upstream's tests give
# each unikernel a monitor with just its modules: blk for --disk=, net for
# --net=, blknet for both, core otherwise (MONSET=... overrides).
# Diagnostics are normalised first: the monitor's path becomes MON, and the
# source location before "Invalid guest access" is dropped; in the console
# the random MAC of a net device becomes RANDOM. Lines are cut to
# 240 characters for display; the hashes cover the whole (normalised) text.

T=/tmp/cmp
mkdir -p $T
DISK=$T/disk.img
TIMEOUT0=${CMP_TIMEOUT:-20}
TIMEOUT=$TIMEOUT0
# The ELF corpus cases: their own, shorter limit (CMP_ELF_TIMEOUT seconds).
ELF_TIMEOUT=${CMP_ELF_TIMEOUT:-3}
SIDES="c rust"
CASES=
while [ $# -gt 0 ]; do
    case "$1" in
    --sides) SIDES=$(echo "$2" | tr , ' '); shift 2 ;;
    '') shift ;; # testhost passes one empty argument when given none
    *) CASES="$CASES $1"; shift ;;
    esac
done

norm_err() {
    sed -e 's|\./[a-z0-9-]*/[a-z]*/ukvm-bin|MON|g' -e 's/^ukvm-bin: /MON: /' \
        -e 's/^MON: [^ ]*:[0-9]*: Invalid guest access/MON: Invalid guest access/'
}
md5() { md5sum "$1" | cut -c1-32; }

# selected NAME: true if NAME matches one of the GLOBs (or none was given).
selected() {
    [ -z "$CASES" ] && return 0
    set -f
    for g in $CASES; do
        case "$1" in $g) set +f; return 0 ;; esac
    done
    set +f
    return 1
}

# watch PID SECS MARK: in the background, after SECS seconds sends PID
# SIGTERM if it still runs, creating MARK first, and SIGKILL 5 s later.
# Sets wpid; the caller kills it (SIGTERM ends its sleep too) once PID has
# ended. (A monitor that exits in the instant the timer fires, before the
# shell has reaped it, is still counted as timed out: no case ends that
# close to its timer.)
watch() {
    rm -f "$3"
    (
        trap 'kill $s 2>/dev/null; exit 0' TERM
        sleep "$2" &
        s=$!
        wait $s
        kill -0 "$1" 2>/dev/null || exit 0
        : >"$3"
        kill -TERM "$1" 2>/dev/null
        sleep 5 &
        s=$!
        wait $s
        kill -KILL "$1" 2>/dev/null
    ) >/dev/null 2>&1 </dev/null &
    wpid=$!
}

# run_timed SECS OUT ERR COMMAND...: runs COMMAND (stdin /dev/null) with
# its output in OUT and ERR; sets st to its exit status, or to `timeout`
# when the timer fired.
run_timed() {
    secs=$1 o=$2 e=$3
    shift 3
    "$@" >"$o" 2>"$e" </dev/null &
    rpid=$!
    watch $rpid "$secs" "$o.fired"
    wait $rpid
    st=$?
    kill $wpid 2>/dev/null
    [ -e "$o.fired" ] && st=timeout
    rm -f "$o.fired"
}

# Set per case: PREP (shell code run before each side), FILTER (sed
# expression for the guest console, e.g. to drop timings), DISKCASE=1 to
# hash the disk image afterwards, NET=1 to ping the guest while it runs.
record() { # NAME SIDE STATUS [OUT ERR [PINGS]]
    o=${4:-$T/out} e=${5:-$T/err}
    filter=${FILTER:-p}
    # Net devices get a random MAC on every run.
    sed -n "$filter" $o | sed -e 's/MAC: [0-9a-f]\{12\}/MAC: RANDOM/' \
        -e 's/mac [0-9a-f:]*/mac RANDOM/' >$T/out.n
    norm_err <$e >$T/err.n
    dh=-
    [ -n "$DISKCASE" ] && dh=$(md5 $DISK)
    echo "@@case $1 $2 $3 $(md5 $T/out.n) $(md5 $T/err.n) $dh ${6:--}"
    cut -c1-240 $T/out.n | head -n 60 | sed "s|^|@@o $1 $2 |"
    cut -c1-240 $T/err.n | head -n 60 | sed "s|^|@@e $1 $2 |"
}

# case NAME ARGS...: one run per side; ARGS follow the monitor.
case_() {
    name=$1
    shift
    if ! selected "$name"; then PREP= FILTER= DISKCASE= NET= MONSET= TIMEOUT=$TIMEOUT0; return; fi
    set=$MONSET
    if [ -z "$set" ]; then
        set=core
        case " $* " in *" --disk="*) set=blk ;; esac
        case " $* " in *" --net="*) [ $set = blk ] && set=blknet || set=net ;; esac
    fi
    for side in $SIDES; do
        eval "$PREP"
        pings=
        if [ -n "$NET" ]; then
            # Pinged while it runs, then ended by our SIGTERM (status 1 with
            # "Exiting on signal 15" is the normal end here, not a timeout).
            ./$side/$set/ukvm-bin "$@" >$T/out 2>$T/err </dev/null &
            pid=$!
            sleep 2
            pings=$(ping -c 3 -W 5 10.0.0.2 2>&1 | sed -n 's/.* \([0-9][0-9]*\) packets received.*/\1/p')
            pings=${pings:-0}
            if [ "$pings" -gt 0 ]; then echo "ping: answered" >>$T/out; else echo "ping: no answer" >>$T/out; fi
            kill -TERM $pid 2>/dev/null
            watch $pid 10 $T/net.fired
            wait $pid
            st=$?
            kill $wpid 2>/dev/null
            [ -e $T/net.fired ] && st=timeout
            rm -f $T/net.fired
        else
            run_timed $TIMEOUT $T/out $T/err ./$side/$set/ukvm-bin "$@"
        fi
        record "$name" $side $st $T/out $T/err $pings
    done
    PREP= FILTER= DISKCASE= NET= MONSET= TIMEOUT=$TIMEOUT0
}
PREP= FILTER= DISKCASE= NET= MONSET= TIMEOUT=$TIMEOUT0

freshdisk='dd if=/dev/zero of=$DISK bs=4096 count=1024 2>/dev/null'
mktap tapc0 && ip addr add 10.0.0.1/24 dev tapc0 && ip link set tapc0 up
mktap tapdown

# --- Solo5 v0.3.1's own test unikernels (upstream's tests.bats) ----------
case_ solo5-hello test_hello.ukvm Hello_Solo5
case_ solo5-quiet test_quiet.ukvm --solo5:quiet
case_ solo5-globals test_globals.ukvm
case_ solo5-exception test_exception.ukvm
case_ solo5-fpu test_fpu.ukvm
case_ solo5-time test_time.ukvm
case_ solo5-abort test_abort.ukvm
PREP=$freshdisk DISKCASE=1 case_ solo5-blk --disk=$DISK test_blk.ukvm
NET=1 case_ solo5-ping-serve --net=tapc0 test_ping_serve.ukvm
case_ solo5-hello-with-devices --disk=$DISK --net=tapc0 test_hello.ukvm Hello_Solo5

# --- our guests -----------------------------------------------------------
case_ hello hello.ukvm a b=c
case_ hello-exit-status hello.ukvm exit=9
FILTER='s/[0-9][0-9]*/N/g;p' case_ hcbench hcbench.ukvm n=1000
PREP=$freshdisk DISKCASE=1 case_ blk-write-read --disk=$DISK blk.ukvm
PREP=$freshdisk DISKCASE=1 case_ blk-verify-fresh --disk=$DISK blk.ukvm verify=1
MONSET=blk case_ blk-no-disk blk.ukvm
MONSET=net case_ net-no-tap hello.ukvm
MONSET=blknet case_ blknet-only-disk --disk=$DISK hello.ukvm
NET=1 case_ netecho --net=tapc0 netecho.ukvm count=1000
case_ lowhello lowhello.ukvm
for m in 1 2 3 512; do case_ mem-$m --mem=$m hello.ukvm; done
case_ mem-4096 --mem=4096 hello.ukvm
case_ mem-4098 --mem=4098 hello.ukvm

# --- our hostile guest ----------------------------------------------------
for c in nullderef above-ram write-text mmio-read mmio-store64 mmio-past-max mmio-far \
    hypercall-0 halt-bad-gpa puts-bad-gpa mmio-stp psci-off smc exec-mmio show-sctlr \
    walltime-into-text puts-len-wraps struct-straddles-end mmio-store8 mmio-store16 \
    hypercall-unregistered halt-cookie-past-end exit-256 exit-minus-1; do
    case_ hostile-$c hostile.ukvm case=$c
done
case_ hostile-stack-overflow --mem=2 hostile.ukvm case=stack-overflow
TIMEOUT=5 case_ hostile-poll-into-text hostile.ukvm case=poll-into-text
TIMEOUT=5 case_ hostile-spin hostile.ukvm case=spin
TIMEOUT=5 case_ hostile-wfi hostile.ukvm case=wfi

# --- bad command lines ----------------------------------------------------
case_ mem-0 --mem=0 hello.ukvm
case_ mem-minus-1 --mem=-1 hello.ukvm
case_ mem-abc --mem=abc hello.ukvm
case_ mem-512abc --mem=512abc hello.ukvm
case_ mem-empty --mem= hello.ukvm
case_ mem-huge --mem=99999999999999999999 hello.ukvm
case_ mem-2pow44 --mem=17592186044416 hello.ukvm
case_ no-arguments
case_ missing-kernel --mem=16
case_ kernel-nonexistent /nonexistent.ukvm
case_ kernel-directory /tmp
mkfifo $T/fifo
TIMEOUT=5 case_ kernel-fifo $T/fifo
case_ kernel-empty-file /dev/null
case_ disk-nonexistent --disk=/nonexistent.img hello.ukvm
case_ disk-directory --disk=/tmp hello.ukvm
case_ net-missing-tap --net=nosuchtap hello.ukvm
case_ net-down-tap --net=tapdown hello.ukvm
case_ net-name-too-long --net=abcdefghijklmnopqrstuvwxyz hello.ukvm
case_ unknown-option --frobnicate hello.ukvm
MONSET=core case_ disk-option-without-blk --disk=$DISK hello.ukvm
MONSET=blk case_ disk-without-value --disk hello.ukvm
MONSET=blk case_ disk-empty-value --disk= hello.ukvm
case_ help --help
case_ option-after-kernel hello.ukvm --mem=2
long=$(printf '%8191s' '' | tr ' ' x)
FILTER='s/xxxxxxxxxx*/X.../g;p' case_ cmdline-8191 hello.ukvm $long
FILTER='s/xxxxxxxxxx*/X.../g;p' case_ cmdline-8192 hello.ukvm ${long}x
FILTER='s/xxxxxxxxxx*/X.../g;p' case_ cmdline-8191-two-args hello.ukvm ${long%??} y

# --- the malformed-ELF corpus ----------------------------------------------
# Upstream's monitor in the background while ours runs (the host has two
# CPUs), three seconds each (a refusal takes milliseconds; the margin is for
# a loaded emulated host): an image a loader accepts runs its filler bytes
# as code and never exits, so its status is `timeout`.
for f in corpus/*; do
    name=elf-$(basename "$f")
    selected "$name" || continue
    (run_timed $ELF_TIMEOUT $T/c.out $T/c.err ./c/core/ukvm-bin "$f"; echo $st >$T/c.st) &
    cpid=$!
    for side in $SIDES; do
        [ $side = c ] && continue
        run_timed $ELF_TIMEOUT $T/r.out $T/r.err ./$side/core/ukvm-bin "$f"
        record "$name" $side $st $T/r.out $T/r.err
    done
    wait $cpid
    record "$name" c "$(cat $T/c.st)" $T/c.out $T/c.err
done
echo "@@end"
