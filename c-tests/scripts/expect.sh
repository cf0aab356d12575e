#!/bin/sh
# expect.sh: run a command, show its output, and pass only if its exit status and output are as expected.
#
#   expect.sh RC REGEX [--not REGEX] -- COMMAND [ARG...]
#
# RC is the exit status wanted ("any" for any); REGEX (grep -E) must match
# the combined stdout and stderr; REGEX after --not must not match.

want_rc=$1 want=$2
shift 2
unwanted=
if [ "$1" = --not ]; then
    unwanted=$2
    shift 2
fi
[ "$1" = -- ] && shift

out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
echo "(exit status $rc)"
if [ "$want_rc" != any ] && [ "$rc" != "$want_rc" ]; then
    echo "FAIL: exit status $rc, wanted $want_rc"
    exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$want"; then
    echo "FAIL: output does not match: $want"
    exit 1
fi
if [ -n "$unwanted" ] && printf '%s\n' "$out" | grep -Eq -- "$unwanted"; then
    echo "FAIL: output matches: $unwanted"
    exit 1
fi
echo "ok"
