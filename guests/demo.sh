# demo.sh: what `make demo-aarch64` shows inside the emulated AArch64 host:
# our monitor on real KVM running our guests (and Solo5's hello when built).

M=./run_guest
echo "== host: $(uname -sr), $(grep -m1 KernelPageSize /proc/self/smaps | tr -s ' ')"
echo "== $M hello.ukvm Hello from the demo exit=0"
$M hello.ukvm Hello from the demo exit=0
echo "   (exit status $?)"
echo "== $M --mem=64 hcbench.ukvm n=2000"
$M --mem=64 hcbench.ukvm n=2000
echo "== $M hostile.ukvm case=nullderef   (page 0 is unmapped: the guest traps)"
$M hostile.ukvm case=nullderef
echo "   (exit status $?)"
if [ -f test_hello.ukvm ]; then
    echo "== $M test_hello.ukvm Hello_Solo5   (Solo5 v0.3.1's own test)"
    $M test_hello.ukvm Hello_Solo5
    echo "   (exit status $?)"
fi
