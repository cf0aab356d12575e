# diff.sh: differential cases on real KVM: the same guests under upstream's
# C monitor (upstream-core, built from SOLO5_SRC) and ours. Outputs must
# match after naming the monitor MON and dropping source locations, except
# in the intended differences listed one by one. Sourced by check.sh (uses
# its limit, signal_run, skipped, ok, ko); without upstream-core each case
# is skipped by name.

UP=./upstream-core
need=
[ -x $UP ] || need="no upstream-core in the payload (needs SOLO5_SRC)"
norm() {
    sed -e 's/^upstream-core: /MON: /' -e "s|^${M#./}: |MON: |" \
        -e 's/^MON: [^ ]*:[0-9]*: Invalid guest access/MON: Invalid guest access/' "$1"
}

# same NAME ARGS...: identical status and normalized output, neither side
# timed out.
same() {
    name=$1
    shift
    skipped "diff-$name" && return
    limit /tmp/diff-up.raw $UP "$@"
    ust=$st uto=$timed_out
    limit /tmp/diff-us.raw $M "$@"
    { norm /tmp/diff-up.raw; echo "[status $ust]"; } >/tmp/diff-up.txt
    { norm /tmp/diff-us.raw; echo "[status $st]"; } >/tmp/diff-us.txt
    if [ -n "$uto$timed_out" ]; then
        ko "diff-$name" "timed out after ${LIMIT}s:${uto:+ upstream}${timed_out:+ ours}"
    elif cmp -s /tmp/diff-up.txt /tmp/diff-us.txt; then
        ok "diff-$name (same output, status $st)"
    else
        ko "diff-$name" "outputs differ (upstream <, ours >)"
        diff /tmp/diff-up.txt /tmp/diff-us.txt | sed 's/^/    | /'
    fi
}

# has FILE TEXT: FILE holds TEXT; TEXT "=empty" means FILE must be empty
# (an empty TEXT is refused: it would match anything).
has() {
    case "$2" in
    '') echo "diff.sh: empty expected text" >&2; return 1 ;;
    =empty) [ ! -s "$1" ] ;;
    *) grep -qF -- "$2" "$1" ;;
    esac
}

# differ NAME UP_STATUS UP_TEXT OUR_STATUS OUR_TEXT ARGS...: an intended
# difference, both sides pinned (status and a text each, see has).
differ() {
    name=$1 ust_want=$2 utext=$3 st_want=$4 text=$5
    shift 5
    skipped "diff-$name" && return
    limit /tmp/diff-up.raw $UP "$@"
    ust=$st uto=$timed_out
    limit /tmp/diff-us.raw $M "$@"
    if [ -z "$uto$timed_out" ] && [ "$ust" = "$ust_want" ] && has /tmp/diff-up.raw "$utext" &&
        [ "$st" = "$st_want" ] && has /tmp/diff-us.raw "$text"; then
        ok "diff-$name (intended: upstream $ust, ours $st)"
    else
        ko "diff-$name" "upstream $ust${uto:+ (timed out)} (want $ust_want, '$utext'), ours $st${timed_out:+ (timed out)} (want $st_want, '$text')"
        sed 's/^/    up | /' /tmp/diff-up.raw
        sed 's/^/    us | /' /tmp/diff-us.raw
    fi
}

# same_signal NAME SIGNAL ARGS...: both monitors sent SIGNAL while the
# hostile guest runs: the same status and normalized output.
same_signal() {
    name=$1 sig=$2
    shift 2
    skipped "diff-$name" && return
    signal_run $UP "$sig" "$@"
    ust=$st uwhy=$why
    { norm /tmp/sig.out; echo "[status $st]"; } >/tmp/diff-up.txt
    signal_run $M "$sig" "$@"
    { norm /tmp/sig.out; echo "[status $st]"; } >/tmp/diff-us.txt
    if [ -n "$uwhy$why" ]; then
        ko "diff-$name" "${uwhy:+upstream: $uwhy}${why:+ ours: $why}"
    elif cmp -s /tmp/diff-up.txt /tmp/diff-us.txt; then
        ok "diff-$name (same output, status $st)"
    else
        ko "diff-$name" "outputs differ (upstream <, ours >)"
        diff /tmp/diff-up.txt /tmp/diff-us.txt | sed 's/^/    | /'
    fi
}

H="hostile.ukvm case"
same hello hello.ukvm a b=c
same hello-exit-status hello.ukvm exit=9
same mem-3 --mem=3 hello.ukvm
memkb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
if [ "$memkb" -lt 4194304 ]; then
    # Upstream's shared mapping is charged in full up front; ours is
    # private and NORESERVE, so a 4 GiB guest fits a smaller host.
    differ mem-4096-small-host 1 "Error allocating guest memory: Cannot allocate memory" \
        0 "mem_size=0x100000000 " --mem=4096 hello.ukvm
else
    same mem-4096 --mem=4096 hello.ukvm
fi
for c in write-text mmio-read mmio-store64 mmio-past-max mmio-far hypercall-0 \
    halt-bad-gpa puts-bad-gpa mmio-stp psci-off smc exec-mmio; do
    same "hostile-$c" $H=$c
done
same hostile-stack-overflow --mem=2 $H=stack-overflow
same_signal hostile-spin-sigterm TERM $H=spin
same_signal hostile-spin-sigint INT $H=spin

# PUTS to a closed pipe (pipe_run, check.sh): SIGPIPE's default action
# ends both; ignored, upstream's assert on write's result aborts it.
if ! skipped diff-puts-to-closed-pipe; then
    pipe_run $UP
    ust=$pst uerr=$(cat /tmp/pipe.err)
    pipe_run $M
    if [ "$ust" = "$pst" ] && [ "$uerr" = "$(cat /tmp/pipe.err)" ]; then
        ok "diff-puts-to-closed-pipe (same: status $pst, stderr '$uerr')"
    else
        ko diff-puts-to-closed-pipe "upstream $ust '$uerr', ours $pst '$(cat /tmp/pipe.err)'"
    fi
fi
if ! skipped diff-puts-to-closed-pipe-sigpipe-ignored; then
    pipe_run $UP ignore
    ust=$pst
    cp /tmp/pipe.err /tmp/pipe.up.err
    pipe_run $M ignore
    if [ "$ust" = 134 ] && grep -qF "Assertion \`rc >= 0' failed" /tmp/pipe.up.err &&
        [ "$pst" = 1 ] && grep -qF "puts: write failed: Broken pipe" /tmp/pipe.err; then
        ok "diff-puts-to-closed-pipe-sigpipe-ignored (intended: upstream $ust, ours $pst)"
    else
        ko diff-puts-to-closed-pipe-sigpipe-ignored "upstream $ust (want 134, its assertion), ours $pst (want 1, Broken pipe)"
        sed 's/^/    up | /' /tmp/pipe.up.err
        sed 's/^/    us | /' /tmp/pipe.err
    fi
fi

differ mem-1 1 "Error allocating guest memory" 0 "mem_size=0x200000 " --mem=1 hello.ukvm
differ mem-too-big 1 "exceeds the max size 4294967296 bytes: " \
    1 "guest memory size 4297064448 bytes exceeds the max size 4294967296 bytes" --mem=4098 hello.ukvm
# SCTLR_EL1: upstream's accidental 0x11005 against M, C, I + RES1.
differ sctlr 0 "SCTLR_EL1=0x11005" 0 "SCTLR_EL1=0x30d01805" $H=show-sctlr
differ hostile-nullderef 0 "hostile: case=nullderef" 255 "far=0x0" $H=nullderef
differ hostile-above-ram 1 "Invalid guest mmio access: mmio=0x20001000 len=4" \
    255 "far=0x20001000" --mem=512 $H=above-ram
# Upstream loads the image over its own boot area and dies of SIGSEGV
# before printing anything.
differ hostile-kernel-over-boot-area 139 =empty 1 "Exec format error" lowhello.ukvm

[ -n "$need" ] || [ -f test_hello.ukvm ] || need="no Solo5 test unikernels in the payload (needs SOLO5_SRC)"
pagekb=$(grep -m1 KernelPageSize /proc/self/smaps | tr -dc 0-9)
for t in hello fpu globals exception abort quiet; do
    arg=Hello_Solo5
    [ $t = quiet ] && arg=--solo5:quiet
    if [ "$pagekb" = 4 ]; then
        same "solo5-$t" test_$t.ukvm $arg
    else
        # Upstream cannot load Solo5 kernels on non-4K hosts (Solo5 issue
        # 529); ours runs them, with the output upstream's tests expect.
        want=0 text=SUCCESS
        case $t in
        exception) want=255 text="Solo5: ABORT: cpu_aarch64.c" ;;
        abort) want=255 text="solo5_abort() called" ;;
        esac
        differ "solo5-$t-${pagekb}k" 1 "test_$t.ukvm: Bad address" $want "$text" test_$t.ukvm $arg
    fi
done
need=
