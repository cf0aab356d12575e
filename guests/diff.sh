# diff.sh: differential cases on real KVM: the same guests under upstream's
# C monitor (upstream-core, built from SOLO5_SRC) and ours. Outputs must
# match after naming the monitor MON and dropping source locations, except
# in the intended differences listed one by one. Sourced by check.sh.

UP=./upstream-core
norm() {
    sed -e 's/^upstream-core: /MON: /' -e "s|^${M#./}: |MON: |" \
        -e 's/^MON: [^ ]*:[0-9]*: Invalid guest access/MON: Invalid guest access/'
}

# same NAME ARGS...: identical status and normalized output.
same() {
    name=$1
    shift
    up=$( { $UP "$@" 2>&1 </dev/null; echo "[status $?]"; } | norm)
    us=$( { $M "$@" 2>&1 </dev/null; echo "[status $?]"; } | norm)
    if [ "$up" = "$us" ]; then
        echo "PASS diff-$name (same output, $(printf '%s\n' "$us" | tail -n 1))"
        pass=$((pass + 1))
    else
        echo "FAIL diff-$name: outputs differ (upstream <, ours >)"
        printf '%s\n' "$up" >/tmp/diff-up.txt
        printf '%s\n' "$us" >/tmp/diff-us.txt
        diff /tmp/diff-up.txt /tmp/diff-us.txt | sed 's/^/    | /'
        fail=$((fail + 1))
    fi
}

# differ NAME UP_STATUS UP_TEXT OUR_STATUS OUR_TEXT ARGS...: an intended
# difference, both sides pinned.
differ() {
    name=$1 ust_want=$2 utext=$3 st_want=$4 text=$5
    shift 5
    # Through an inner shell, so a crash report lands in the output.
    up=$(sh -c '"$@"' sh $UP "$@" 2>&1 </dev/null)
    ust=$?
    us=$($M "$@" 2>&1 </dev/null)
    st=$?
    if [ "$ust" = "$ust_want" ] && printf '%s\n' "$up" | grep -qF -- "$utext" &&
        [ "$st" = "$st_want" ] && printf '%s\n' "$us" | grep -qF -- "$text"; then
        echo "PASS diff-$name (intended: upstream $ust, ours $st)"
        pass=$((pass + 1))
    else
        echo "FAIL diff-$name: upstream $ust (want $ust_want, '$utext'), ours $st (want $st_want, '$text')"
        printf '%s\n' "$up" | sed 's/^/    up | /'
        printf '%s\n' "$us" | sed 's/^/    us | /'
        fail=$((fail + 1))
    fi
}

if [ -x $UP ]; then
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

    differ mem-1 1 "Error allocating guest memory" 0 "mem_size=0x200000 " --mem=1 hello.ukvm
    differ mem-too-big 1 "exceeds the max size 4294967296 bytes: " \
        1 "guest memory size 4297064448 bytes exceeds the max size 4294967296 bytes" --mem=4098 hello.ukvm
    # SCTLR_EL1: upstream's accidental 0x11005 against M, C, I + RES1.
    differ sctlr 0 "SCTLR_EL1=0x11005" 0 "SCTLR_EL1=0x30d01805" $H=show-sctlr
    differ hostile-nullderef 0 "hostile: case=nullderef" 255 "far=0x0" $H=nullderef
    differ hostile-above-ram 1 "Invalid guest mmio access: mmio=0x20001000 len=4" \
        255 "far=0x20001000" --mem=512 $H=above-ram
    differ hostile-kernel-over-boot-area 139 "" 1 "Exec format error" lowhello.ukvm

    if [ -f test_hello.ukvm ]; then
        pagekb=$(grep -m1 KernelPageSize /proc/self/smaps | tr -dc 0-9)
        for t in hello fpu globals exception abort quiet; do
            arg=Hello_Solo5
            [ $t = quiet ] && arg=--solo5:quiet
            if [ "$pagekb" = 4 ]; then
                same "solo5-$t" test_$t.ukvm $arg
            else
                # Upstream cannot load Solo5 kernels on non-4K hosts
                # (Solo5 issue 529); we run them.
                want=0
                case $t in exception | abort) want=255 ;; esac
                differ "solo5-$t-${pagekb}k" 1 "test_$t.ukvm: Bad address" $want "" test_$t.ukvm $arg
            fi
        done
    fi
else
    echo "SKIP diff: no upstream-core in the payload (needs SOLO5_SRC)"
    skip=$((skip + 1))
fi
