# check.sh: the Rust blk/net modules under real KVM in the emulated host: our guests, hostile requests, host faults, benchmark.
#
#   sh check.sh [ROUNDS]   (from the payload dir, inside compat/testhost;
#                          ROUNDS of the benchmark, default 5)
#
# Payload: ukvm-bin-rust-blk, ukvm-bin-rust-net (one Rust module each),
# ukvm-bin-rust (both), ukvm-bin-c-blk and ukvm-bin-c-net (upstream's C
# modules, only when SOLO5_SRC was there), blk.ukvm and netecho.ukvm (the
# backend's checkers), iohostile.ukvm, iobench.ukvm. Prints one line per
# case (PASS NAME, FAIL NAME: why, skip NAME: why), then "N passed, N
# failed, N skipped". A case fails on a wrong status or missing text, on
# any sign of a crash (status above 128, "Assertion", "Segmentation", a
# panic of ours), and when the time limit (LIMIT, 120 s) had to kill it,
# whatever its status.

ROUNDS=${1:-5}
R=./ukvm-bin-rust-blk
N=./ukvm-bin-rust-net
RN=./ukvm-bin-rust
LIMIT=${CHECK_LIMIT:-120}
pass=0 fail=0 skip=0
T=/tmp/modtest
rm -rf $T
mkdir -p $T

ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
skip_case() { echo "skip $1: $2"; skip=$((skip + 1)); }

# limit_start OUT CMD...: CMD in the background (stdin /dev/null, stdout
# and stderr to OUT) under a watchdog that, after LIMIT seconds, marks it
# expired and kills it (SIGTERM, SIGKILL 5 s later). limit_wait: wait for
# it; st gets its status, timed_out "yes" when the watchdog killed it (our
# monitor ends on that SIGTERM with status 1, like a refusal: the marker
# tells them apart).
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

# verdict NAME WANT_STATUS STATUS OUTFILE TEXT...: uses $timed_out of the
# last limit_wait (a run the limit killed fails, whatever its status).
verdict() {
    name=$1 want=$2 st=$3 out=$4
    shift 4
    why=
    if [ -n "$timed_out" ]; then
        why="timed out after ${LIMIT}s (killed by the limit; status $st)"
    elif [ "$st" != "$want" ]; then
        why="status $st, wanted $want"
    fi
    for t in "$@"; do
        grep -qF -- "$t" "$out" || why="$why; missing: $t"
    done
    if [ "$st" -gt 128 ] || grep -qE "Assertion|Segmentation|Aborted|internal error in |panicked at" "$out"; then
        why="$why; crashed"
    fi
    if [ -z "$why" ]; then ok "$name"; else ko "$name" "${why#; }"; sed 's/^/    | /' "$out"; fi
}

# check NAME STATUS TEXT... -- COMMAND...
check() {
    name=$1 want=$2
    shift 2
    texts=
    while [ "$1" != "--" ]; do texts="$texts
$1"; shift; done
    shift
    limit_start $T/out "$@"
    limit_wait
    old_ifs=$IFS
    IFS='
'
    set -- $texts
    IFS=$old_ifs
    verdict "$name" "$want" "$st" $T/out "$@"
}

# size_is NAME FILE BYTES: FILE is BYTES long.
size_is() {
    sz=$(stat -c %s "$2")
    if [ "$sz" = "$3" ]; then ok "$1"; else ko "$1" "$2 is $sz bytes, wanted $3"; fi
}

disk() { # PATH SECTORS: a zeroed image
    dd if=/dev/zero of="$1" bs=512 count="$2" 2>/dev/null
}

# ---- our blk checker and setup failures ----------------------------------
disk $T/disk.img 2048
check blk-write-read 0 "num_sectors=2048" "blk: SUCCESS (wrote and read back)" -- $R --disk=$T/disk.img blk.ukvm
check blk-persists 0 "blk: SUCCESS (verified earlier writes)" -- $R --disk=$T/disk.img blk.ukvm verify=1
disk $T/fresh.img 64
check blk-verify-can-fail 1 "blk: FAILED: sector 0 reads back different data" -- $R --disk=$T/fresh.img blk.ukvm verify=1
check blk-no-disk 1 "Module \`blk' setup failed" "--disk=IMAGE (file exposed" -- $R blk.ukvm
check blk-missing-image 1 "Could not open disk: /nonexistent.img: No such file or directory" -- $R --disk=/nonexistent.img blk.ukvm

# ---- hostile block requests (upstream: assert or SIGSEGV) ----------------
H=iohostile.ukvm
disk $T/h.img 64
check blk-len-over-ssize-max 0 "ret=-1" -- $R --disk=$T/h.img $H case=blk-len-over-ssize-max
check blk-sector-wraps 0 "ret=-1" -- $R --disk=$T/h.img $H case=blk-sector-wraps
check blk-read-into-text 0 "ret=-1" "text unchanged" -- $R --disk=$T/h.img $H case=blk-read-into-text
check blk-write-from-text 0 "ret=0" -- $R --disk=$T/h.img $H case=blk-write-from-text
check blk-request-in-text 1 "blk: guest request at gpa=0x10" "is in read-only guest memory" -- \
    $R --disk=$T/h.img $H case=blk-request-in-text
check blk-data-outside-memory 1 "Invalid guest access: gpa=0xfffff000, sz=512" -- \
    $R --disk=$T/h.img $H case=blk-data-outside-memory
size_is blk-hostile-image-size-unchanged $T/h.img 32768

# ---- host faults under a running guest -----------------------------------
# Image shrinks while the guest reads its end: reads fail, nothing grows.
disk $T/t.img 2048
limit_start $T/trunc $R --disk=$T/t.img $H case=blk-read-loop
sleep 2
truncate -s 65536 $T/t.img
limit_wait
verdict blk-truncated-while-running 0 $st $T/trunc "read failed after" "first sector still readable: ret=0" \
    "blk: disk image $T/t.img ended at byte"
size_is blk-truncated-image-not-regrown $T/t.img 65536

# ENOSPC: a 4 MiB sparse image on a 256 KiB file system.
mkdir -p /mnt/small && mount -t tmpfs -o size=256k tmpfs /mnt/small
truncate -s 4194304 /mnt/small/sparse.img
check blk-enospc 0 "then ret=-1" -- $R --disk=/mnt/small/sparse.img $H case=blk-fill
if grep -q "wrote 8192 of 8192" $T/out; then
    ko blk-enospc-stopped-early "all sectors were written"
else
    ok blk-enospc-stopped-early
fi
size_is blk-enospc-image-size-unchanged /mnt/small/sparse.img 4194304
umount /mnt/small

# A read-only image (read-only file system): upstream's refusal, kept.
mkdir -p /mnt/ro && mount -t tmpfs tmpfs /mnt/ro && disk /mnt/ro/ro.img 64 && mount -o remount,ro /mnt/ro
check blk-read-only-image 1 "Could not open disk: /mnt/ro/ro.img: Read-only file system" -- $R --disk=/mnt/ro/ro.img blk.ukvm
umount /mnt/ro

# SIGTERM in the middle of block I/O.
disk $T/s.img 1024
limit_start $T/term $R --disk=$T/s.img $H case=io-forever
sleep 2
kill -TERM $lpid
limit_wait
verdict blk-sigterm-during-io 1 $st $T/term "io-forever running" "Exiting on signal 15"
size_is blk-sigterm-image-size-unchanged $T/s.img 524288

# ---- network --------------------------------------------------------------
mktap tapm0 && ip link set tapm0 up && ip addr add 10.0.0.1/24 dev tapm0
check net-13-byte-frame 0 "ret=-1" -- $N --net=tapm0 $H case=net-13-byte-frame
check net-read-into-text 0 "ret=-1" -- $N --net=tapm0 $H case=net-read-into-text
check net-nothing-waiting 0 "ret=-1" -- $N --net=tapm0 $H case=net-nothing-waiting
check net-request-in-text 1 "net: guest request at gpa=0x10" "is in read-only guest memory" -- \
    $N --net=tapm0 $H case=net-request-in-text
check net-no-tap 1 "Could not attach interface: nosuchtap: No such file or directory" -- $N --net=nosuchtap $H case=net-nothing-waiting
check net-bad-at-fd 1 "Could not attach interface: @x: Invalid argument" -- $N --net=@x $H case=net-nothing-waiting
check net-bad-mac 1 "Malformed mac address: 02:00" -- $N --net=tapm0 --net-mac=02:00 $H case=net-nothing-waiting
mktap tapm1
check net-tap-down-at-start 1 "Could not attach interface: tapm1: Network is down" -- $N --net=tapm1 $H case=net-nothing-waiting

# Both modules in one monitor: each needs its option, as upstream's.
disk $T/both.img 64
check both-modules-need-both-options 1 "Module \`net' setup failed" -- $RN --disk=$T/both.img netecho.ukvm
check both-modules-together 0 "ret=-1" -- $RN --disk=$T/both.img --net=tapm0 $H case=net-13-byte-frame

# Ping and flood through netecho, as with upstream's module.
limit_start $T/echo $N --net=tapm0 netecho.ukvm count=205
sleep 1
ping -c 5 -W 5 10.0.0.2 >$T/ping 2>&1
pst=$?
pingflood -c 200 -w 60 10.0.0.2 >$T/flood 2>&1
fst=$?
limit_wait
if [ $pst = 0 ] && [ $fst = 0 ]; then
    verdict net-ping-echo 0 $st $T/echo "netecho: SUCCESS (answered 205 echo requests)"
    sed 's/^/timing: rust net /' $T/flood
else
    ko net-ping-echo "ping $pst, pingflood $fst"
    cat $T/ping $T/flood $T/echo | sed 's/^/    | /'
fi

# Tap set down, then up again, under a sending guest.
limit_start $T/down $N --net=tapm0 $H case=net-send-loop ms=6000
sleep 2
ip link set tapm0 down
sleep 1
ip link set tapm0 up
limit_wait
verdict net-tap-down-while-running 0 $st $T/down "sent="
if grep -q "refused=0 " $T/down || ! grep -q "refused=" $T/down; then
    ko net-tap-down-refusals-seen "no write was refused while the tap was down"
else
    ok net-tap-down-refusals-seen
fi

# Tap deleted under a running guest: a clear exit, not a hang.
limit_start $T/del $N --net=tapm0 $H case=net-send-loop ms=60000
sleep 2
ip link delete tapm0
t0=$(date +%s)
limit_wait
verdict net-tap-deleted-while-running 1 $st $T/del "tap interface deleted?"
if [ $(( $(date +%s) - t0 )) -lt 20 ]; then ok net-tap-deleted-no-hang; else ko net-tap-deleted-no-hang "took $(( $(date +%s) - t0 )) s"; fi

# ---- the same hostile requests under upstream's C modules (informational) -
# Lists what upstream does where we differ (docs/modules.md); not a verdict.
compare() { # NAME OURS UPSTREAM OPTION ARGS...
    name=$1 ours=$2 theirs=$3
    shift 3
    limit_start $T/cmp.ours $ours "$@"
    limit_wait
    so=$st${timed_out:+ (timed out)}
    limit_start $T/cmp.theirs $theirs "$@"
    limit_wait
    echo "compare: $name: ours status $so ($(grep -v '^ *$' $T/cmp.ours | tail -n 1)) | upstream status $st${timed_out:+ (timed out)} ($(grep -v '^ *$' $T/cmp.theirs | tail -n 1))"
}
if [ -x ./ukvm-bin-c-blk ]; then
    disk $T/c.img 64
    for c in blk-len-over-ssize-max blk-sector-wraps blk-read-into-text blk-write-from-text \
            blk-request-in-text blk-data-outside-memory; do
        compare $c $R ./ukvm-bin-c-blk --disk=$T/c.img $H case=$c
    done
    mktap tapc0 && ip link set tapc0 up
    for c in net-13-byte-frame net-read-into-text net-request-in-text net-nothing-waiting; do
        compare $c $N ./ukvm-bin-c-net --net=tapc0 $H case=$c
    done
    compare net-bad-at-fd $N ./ukvm-bin-c-net --net=@x $H case=net-nothing-waiting
    mktap -d tapc0
else
    echo "compare: not run: no upstream C monitors (needs SOLO5_SRC)"
fi

# ---- benchmark: the same guest, our modules and upstream's ---------------
# bench_run LABEL CMD...: one iobench run; its result lines go to $T/bench,
# a failed or timed-out run to $T/bench-bad.LABEL.
bench_run() {
    label=$1
    shift
    limit_start $T/bench.out "$@"
    limit_wait
    if [ -z "$timed_out" ] && [ "$st" = 0 ] && grep -q "iobench:" $T/bench.out; then
        grep "iobench:" $T/bench.out | sed "s/^/bench: $label /" | tee -a $T/bench
    else
        echo "$*: status $st${timed_out:+ (timed out)}" >>$T/bench-bad.$label
        sed 's/^/    | /' $T/bench.out >>$T/bench-bad.$label
    fi
}
bench() { # LABEL BLK_MONITOR NET_MONITOR
    disk $T/bench.img 131072
    for req in 4096 65536; do
        bench_run $1 $2 --disk=$T/bench.img iobench.ukvm mb=32 req=$req
    done
    mktap tapb0 && ip link set tapb0 up
    bench_run $1 $3 --net=tapb0 iobench.ukvm frames=20000
    mktap -d tapb0
}
# ROUNDS rounds (default 5), the order alternating, so that neither set
# gets only the cold runs; the summary keeps each set's best round (TCG is
# noisy). Every run must succeed: bench-rust-runs, bench-c-runs.
: >$T/bench
rm -f $T/bench-bad.*
round=0
while [ $round -lt "$ROUNDS" ]; do
    round=$((round + 1))
    if [ ! -x ./ukvm-bin-c-blk ]; then
        bench rust $R $N
    elif [ $((round % 2)) = 0 ]; then
        bench c ./ukvm-bin-c-blk ./ukvm-bin-c-net
        bench rust $R $N
    else
        bench rust $R $N
        bench c ./ukvm-bin-c-blk ./ukvm-bin-c-net
    fi
done
for label in rust c; do
    if [ $label = c ] && [ ! -x ./ukvm-bin-c-blk ]; then
        skip_case bench-c-runs "no upstream C monitors (needs SOLO5_SRC)"
    elif [ -f $T/bench-bad.$label ]; then
        ko bench-$label-runs "failed runs:"
        cat $T/bench-bad.$label
    else
        ok "bench-$label-runs ($ROUNDS rounds)"
    fi
done
# "bench: SET iobench: blk write N KiB/s (C x REQ bytes)" / "... net N frames/s ..."
awk '$3 == "iobench:" {
        key = ($4 == "blk") ? "blk " $5 " " $10 "-byte requests, KiB/s" : "net 60-byte frames/s"
        v = ($4 == "blk") ? $6 : $5
        if (v + 0 > best[key, $2] + 0) best[key, $2] = v
        keys[key] = 1
    }
    END { for (k in keys) printf "bench-summary: %s: rust %s, c %s\n", k, best[k, "rust"], (best[k, "c"] == "" ? "n/a" : best[k, "c"]) }' $T/bench | sort

echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
