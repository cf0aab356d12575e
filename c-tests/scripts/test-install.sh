#!/bin/sh
# test-install.sh: `make install` into a scratch DESTDIR, then build the example monitor from that install three ways.
#
#   test-install.sh WORKDIR [SOLO5_UKVM_DIR]
#
# The three ways: find_package(ukvm) with ukvm_add_monitor(), pkg-config,
# and the installed ukvm-configure (needs SOLO5_UKVM_DIR; skipped loudly
# without it).

work=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd -P)
top=$(cd "$here/../.." && pwd -P)
example=$top/c-tests/example
dest=$work/dest
prefix=/usr/local
root=$dest$prefix
passed=0 failed=0 skipped=0

rm -rf "$work" && mkdir -p "$work" || exit 1

step() {
    name=$1
    shift
    if "$@" >"$work/step.log" 2>&1; then
        echo "ok   install: $name"
        passed=$((passed + 1))
    else
        echo "FAIL install: $name"
        sed 's/^/    /' "$work/step.log" | tail -n 40
        failed=$((failed + 1))
    fi
}

help_shows() {
    out=$("$1" --help 2>&1)
    rc=$?
    printf '%s\n(exit status %s)\n' "$out" "$rc"
    [ "$rc" = 1 ] && printf '%s\n' "$out" | grep -Eq "Compiled-in modules: $2 ?\$" &&
        printf '%s\n' "$out" | grep -q -- '--example=TAG'
}

step "make install PREFIX=$prefix DESTDIR=..." make -C "$top" install PREFIX="$prefix" DESTDIR="$dest"
step "installed files are in place" sh -c "
    for f in lib/libukvm.a include/ukvm/ukvm.h include/ukvm/ukvm_guest.h include/ukvm/ukvm_cc.h \
            include/ukvm/ukvm_gdb.h include/ukvm/ukvm_hv_kvm.h bin/ukvm-configure \
            lib/cmake/ukvm/ukvmConfig.cmake lib/cmake/ukvm/ukvmConfigVersion.cmake \
            lib/cmake/ukvm/ukvmFunctions.cmake lib/pkgconfig/ukvm.pc; do
        [ -f '$root'/\$f ] || { echo missing \$f; exit 1; }
    done
    grep -qx 'prefix=$prefix' '$root/lib/pkgconfig/ukvm.pc'"

step "find_package(ukvm): configure" cmake -S "$example" -B "$work/cmake" \
    -DCMAKE_PREFIX_PATH="$root" -DCMAKE_BUILD_TYPE=
step "find_package(ukvm): build" cmake --build "$work/cmake"
step "find_package(ukvm): monitor lists core example" help_shows "$work/cmake/example-monitor" "core example"
step "find_package(ukvm 0.1): version accepted" sh -c "
    mkdir -p '$work/ver' && printf '%s\n' 'cmake_minimum_required(VERSION 3.18)' 'project(v C)' \
        'find_package(ukvm 0.1 REQUIRED)' > '$work/ver/CMakeLists.txt' &&
    cmake -S '$work/ver' -B '$work/ver/b' -DCMAKE_PREFIX_PATH='$root'"
step "find_package(ukvm 99): version refused" sh -c "
    sed -i 's/ukvm 0.1/ukvm 99/' '$work/ver/CMakeLists.txt' &&
    ! cmake -S '$work/ver' -B '$work/ver/b99' -DCMAKE_PREFIX_PATH='$root'"

step "pkg-config: build" sh -c "
    cc -Wall -Wextra -Werror -std=c99 -I'$example' -o '$work/example-pc' \
        '$example/ukvm_module_example.c' '$example/example_modules.c' \
        \$(PKG_CONFIG_PATH='$root/lib/pkgconfig' PKG_CONFIG_SYSROOT_DIR='$dest' pkg-config --cflags --libs ukvm)"
step "pkg-config: monitor lists core example" help_shows "$work/example-pc" "core example"

if [ -n "$src" ] && [ -f "$src/ukvm_module_net.c" ]; then
    step "installed ukvm-configure: configure and make" sh -c "
        mkdir -p '$work/cfg' && cd '$work/cfg' &&
        '$root/bin/ukvm-configure' '$src' net '$example/ukvm_module_example.c' &&
        grep -q 'UKVM_LIB=$root/lib/libukvm.a' Makefile.ukvm &&
        make -f Makefile.ukvm ukvm-bin"
    step "installed ukvm-configure: monitor lists core net example" \
        help_shows "$work/cfg/ukvm-bin" "core net example"
else
    for name in "installed ukvm-configure: configure and make" \
        "installed ukvm-configure: monitor lists core net example"; do
        echo "skip install: $name: no upstream module sources (SOLO5_SRC) at '$src'"
        skipped=$((skipped + 1))
    done
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
