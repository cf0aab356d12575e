# run.sh: the benchmark inside the emulated AArch64 host: upstream's monitors (./c/SET/ukvm-bin) and ours (./rust/SET/ukvm-bin), alternating.
#
#   sh run.sh ROUNDS DENSITY_CAP DENSITY_SECS    (from the payload dir)
#
# Prints "@@m METRIC SIDE VALUE" per measurement (SIDE c, rust or floor) and
# "bench: ..." progress lines; bench/bench turns them into medians.
ROUNDS=${1:-5}
CAP=${2:-1024}
SECS=${3:-240}
T=/tmp/bench
# The density run fills the host's memory: keep this script (and brun,
# which inherits it; its instances raise theirs) away from the OOM killer.
echo -1000 >/proc/$$/oom_score_adj
mkdir -p $T
mktap tapb0 && ip link set tapb0 up
echo "bench: host: $(nproc) CPUs, $(sed -n 's/^MemTotal: *//p' /proc/meminfo) RAM, kernel $(uname -r)"

m() { echo "@@m $1 $2 $3"; }

measure() { # SIDE
    s=$1
    mon=./$s/core/ukvm-bin
    # Startup to guest exit: 10 runs of the quiet hello.
    ./brun time 10 $mon test_quiet.ukvm --solo5:quiet | while read -r _ us st; do
        [ "$st" = 0 ] && m startup_us $s $us || m error $s "startup-status-$st"
    done
    # Hypercall round trips per second, as the guest counts them.
    r=$($mon hcbench.ukvm n=20000 2>&1 | sed -n 's/.* \([0-9]*\) calls\/s.*/\1/p')
    m hypercalls_per_s $s "${r:-0}"
    # Sequential blk write and read, 64 KiB requests.
    dd if=/dev/zero of=$T/disk.img bs=1M count=64 2>/dev/null
    ./$s/blk/ukvm-bin --disk=$T/disk.img iobench.ukvm mb=32 req=65536 >$T/blk 2>&1
    m blk_write_kib_s $s "$(sed -n 's/.*blk write \([0-9]*\) KiB.*/\1/p' $T/blk)"
    m blk_read_kib_s $s "$(sed -n 's/.*blk read \([0-9]*\) KiB.*/\1/p' $T/blk)"
    rm -f $T/disk.img
    # Frames sent per second through the net module.
    r=$(./$s/net/ukvm-bin --net=tapb0 iobench.ukvm frames=10000 2>&1 | sed -n 's/.*net \([0-9]*\) frames.*/\1/p')
    m net_frames_s $s "${r:-0}"
    # PSS of an idle instance (asleep in POLL).
    ./brun pss $mon --mem=16 idle.ukvm | while read -r k pss x rss; do
        case $k in
        pss) m idle_pss_kib $s $pss; m idle_rss_kib $s $rss ;;
        map) [ $i = 1 ] && echo "bench: idle PSS, $s: $pss KiB in $x $rss" ;;
        *) m error $s "pss: $k $pss" ;;
        esac
    done
}

i=1
while [ $i -le $ROUNDS ]; do
    if [ $((i % 2)) = 1 ]; then order="c rust"; else order="rust c"; fi
    for s in $order; do measure $s; done
    r=$(./floor 20000 | sed -n 's/.* \([0-9]*\) exits\/s.*/\1/p')
    m floor_exits_per_s floor "${r:-0}"
    # The startup floor: create a VM and a vCPU, run to one exit, quit.
    ./brun time 10 ./floor 1 | while read -r _ us st; do
        [ "$st" = 0 ] && m startup_floor_us floor $us || m error floor "startup-status-$st"
    done
    echo "bench: round $i/$ROUNDS done ($order)"
    i=$((i + 1))
done

# Density: idle --mem=16 instances until one fails, CAP are up or SECS pass.
for s in c rust; do
    echo "bench: density, $s: starting up to $CAP idle --mem=16 instances (at most $SECS s)"
    ./brun density $CAP $SECS ./$s/core/ukvm-bin --mem=16 idle.ukvm | while read -r k n why; do
        case $k in
        density) m density $s $n; echo "bench: density, $s: $n ($why)" ;;
        *) echo "bench: $k $n $why" ;;
        esac
    done
    sleep 2
done
echo "@@end"
