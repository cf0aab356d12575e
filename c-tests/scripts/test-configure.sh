#!/bin/sh
# test-configure.sh: one scenario of compat/ukvm-configure as Solo5's build uses it, run in a scratch directory.
#
#   test-configure.sh SCENARIO WORKDIR SOLO5_UKVM_DIR LIBUKVM CC [EMULATOR...]
#
# Scenarios: solo5 extra static included cargo located errors rust.
# (rust needs no Solo5 source: SOLO5_UKVM_DIR may be any directory.)

scenario=$1 work=$2 src=$3 lib=$4 cc=$5
shift 5
emu=$*          # how to run a target program (empty when native)
here=$(cd "$(dirname "$0")" && pwd -P)
top=$(cd "$here/../.." && pwd -P)
configure=$top/compat/ukvm-configure
example=$top/c-tests/example
passed=0 failed=0

rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

step() {
    name=$1
    shift
    if "$@" >"$work/step.log" 2>&1; then
        echo "ok   $scenario: $name"
        passed=$((passed + 1))
    else
        echo "FAIL $scenario: $name"
        sed 's/^/    /' "$work/step.log" | tail -n 40
        failed=$((failed + 1))
    fi
}

# expect_output RC REGEX COMMAND...: exit status RC and REGEX in the output.
expect_output() {
    want_rc=$1 want=$2
    shift 2
    out=$("$@" 2>&1)
    rc=$?
    printf '%s\n(exit status %s)\n' "$out" "$rc"
    [ "$rc" = "$want_rc" ] && printf '%s\n' "$out" | grep -Eq -- "$want"
}

configure() {
    UKVM_CC=$cc UKVM_LIB=$lib "$configure" "$@"
}

help_shows() {
    expect_output 1 "Compiled-in modules: $1 ?\$" $emu ./ukvm-bin --help
}

case "$scenario" in
solo5)
    step "configure SOURCEDIR net blk" configure "$src" net blk
    step "make ukvm-bin" make -f Makefile.ukvm ukvm-bin
    step "--help lists core blk net" help_shows "core blk net"
    step "make is then up to date" sh -c \
        'make -f Makefile.ukvm -q _build-ukvm/ukvm_module_net.o _build-ukvm/ukvm_modules.o'
    step "ukvm-clean removes what it built" sh -c \
        'make -f Makefile.ukvm ukvm-clean && [ ! -e ukvm-bin ] && [ ! -e _build-ukvm ]'
    ;;
extra)
    step "configure gdb and a third-party module as NAME=PATH" \
        configure "$src" gdb "example=$example/ukvm_module_example.c"
    step "make ukvm-bin" make -f Makefile.ukvm ukvm-bin
    step "--help lists core gdb example" help_shows "core gdb example"
    step "--help shows the example's option" \
        expect_output 1 '--example=TAG' $emu ./ukvm-bin --help
    step "configure the same module as a bare PATH" \
        configure "$src" "$example/ukvm_module_example.c" dumpcore
    step "make ukvm-bin" make -f Makefile.ukvm ukvm-bin
    step "--help lists core dumpcore example" help_shows "core dumpcore example"
    ;;
static)
    step "configure with UKVM_STATIC=1" env UKVM_STATIC=1 UKVM_CC=$cc UKVM_LIB=$lib \
        "$configure" "$src" net
    step "make ukvm-bin" make -f Makefile.ukvm ukvm-bin
    step "ukvm-bin has no program interpreter" sh -c \
        'readelf -lW ukvm-bin >headers.txt && ! grep -q INTERP headers.txt'
    step "--help lists core net" help_shows "core net"
    ;;
included)
    # As tests/Makefile.tests does: -include it into a makefile whose own
    # CC, CFLAGS and default goal are for the guest.
    cat > Makefile <<'MK'
CC = false
CFLAGS = -ffreestanding -this-flag-must-not-reach-the-monitor
.PHONY: first
first:
	@echo first goal ran
Makefile.ukvm:
	$(UKVM_CONFIGURE) $(UKVM_SRC_DIR) blk
-include Makefile.ukvm
MK
    step "configure through the including makefile" \
        make UKVM_CONFIGURE="$configure" UKVM_SRC_DIR="$src" UKVM_CC="$cc" UKVM_LIB="$lib" Makefile.ukvm
    step "default goal stays the includer's" expect_output 0 'first goal ran' make first
    step "make ukvm-bin with the includer's CC/CFLAGS set" make ukvm-bin
    step "--help lists core blk" help_shows "core blk"
    ;;
cargo)
    # No UKVM_LIB: Makefile.ukvm asks cargo for the library itself.
    step "configure without UKVM_LIB" env UKVM_CC="$cc" "$configure" "$src" net
    step "Makefile.ukvm builds the library with cargo" sh -c \
        'grep -q "cargo build --release --lib" Makefile.ukvm && grep -q "package.sh" Makefile.ukvm && make -f Makefile.ukvm ukvm-bin'
    step "--help lists core net" help_shows "core net"
    ;;
located)
    # Solo5's build runs $(UKVM_SRC)/ukvm-configure: put ours there as a
    # symlink, or as a copy told where we are by UKVM_HOME.
    mkdir -p fake-solo5 && ln -s "$configure" fake-solo5/ukvm-configure
    step "through a symlink" env UKVM_CC="$cc" UKVM_LIB="$lib" fake-solo5/ukvm-configure "$src" net
    step "make ukvm-bin" make -f Makefile.ukvm ukvm-bin
    step "--help lists core net" help_shows "core net"
    rm -f fake-solo5/ukvm-configure && cp "$configure" fake-solo5/ukvm-configure
    step "a copy without UKVM_HOME says what to set" expect_output 1 'set UKVM_HOME' \
        env UKVM_CC="$cc" UKVM_LIB="$lib" fake-solo5/ukvm-configure "$src" net
    step "a copy with UKVM_HOME" env UKVM_HOME="$top" UKVM_CC="$cc" UKVM_LIB="$lib" \
        fake-solo5/ukvm-configure "$src" blk
    step "make ukvm-bin" make -f Makefile.ukvm ukvm-bin
    step "--help lists core blk" help_shows "core blk"
    ;;
rust)
    # The library's own modules: no module source at all.
    mkdir -p nosrc
    step "configure rust-net rust-blk with an empty SOURCEDIR" configure nosrc rust-net rust-blk
    step "make ukvm-bin" make -f Makefile.ukvm ukvm-bin
    step "--help lists core blk net" help_shows "core blk net"
    step "--help shows upstream's blk and net options" sh -c \
        "$emu ./ukvm-bin --help 2>&1 | grep -qxF '    --disk=IMAGE (file exposed to the unikernel as a raw block device)' &&
         $emu ./ukvm-bin --help 2>&1 | grep -qxF '    [ --net-mac=HWADDR ] (guest MAC address)'"
    step "the module list names the Rust structs in upstream's order" sh -c \
        'make -f Makefile.ukvm _build-ukvm/ukvm_modules.c >/dev/null && tr -d "\n " < _build-ukvm/ukvm_modules.c | grep -qF "&ukvm_module_core,&ukvm_module_rust_blk,&ukvm_module_rust_net,NULL"'
    step "a malformed --net-mac is refused with upstream's warning and usage" \
        expect_output 1 "Malformed mac address: zz" $emu ./ukvm-bin --net-mac=zz x.ukvm
    # Stand-ins, so that blk and net are known modules of this SOURCEDIR.
    touch nosrc/ukvm_module_blk.c nosrc/ukvm_module_net.c
    step "blk and rust-blk together are refused" \
        expect_output 1 "error: Modules 'blk' and 'rust-blk' both provide blk: choose one" configure nosrc rust-blk blk
    step "net and rust-net together are refused" \
        expect_output 1 "error: Modules 'net' and 'rust-net' both provide net: choose one" configure nosrc net rust-net
    step "rust_blk is not a third-party name" \
        expect_output 1 "error: Module name 'rust_blk' is already in use" \
        configure nosrc "rust_blk=$example/ukvm_module_example.c"
    ;;
errors)
    step "no arguments: usage, exit 1" expect_output 1 '^Usage: ukvm-configure SOURCEDIR' "$configure"
    step "missing SOURCEDIR" expect_output 1 'error: Not a ukvm source directory: /nonexistent' \
        "$configure" /nonexistent net
    step "unknown module" expect_output 1 'error: Invalid module: bogus' configure "$src" net bogus
    step "missing third-party source" expect_output 1 'error: Module source not found: /nonexistent/x.c' \
        configure "$src" x=/nonexistent/x.c
    step "bad module name" expect_output 1 "error: Invalid module name '9lives'" \
        configure "$src" "9lives=$example/ukvm_module_example.c"
    step "module name used twice" expect_output 1 "error: Module name 'net' is already in use" \
        configure "$src" "net=$example/ukvm_module_example.c"
    step "compiler that does not run" expect_output 1 "error: Error running 'no-such-cc -dumpmachine'" \
        env UKVM_CC=no-such-cc UKVM_LIB="$lib" "$configure" "$src" net
    step "no Makefile.ukvm left by failures" test ! -e Makefile.ukvm
    ;;
*)
    echo "unknown scenario $scenario"
    exit 2
    ;;
esac

echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
