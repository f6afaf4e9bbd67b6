#!/bin/sh
# The tinsel command: help, version, and usage errors with exit status 2.
T="$1"
pass=0; fail=0
check() { # name expected-status command...
  name=$1; want=$2; shift 2
  "$@" >out.txt 2>err.txt; got=$?
  if [ "$got" = "$want" ]; then pass=$((pass+1)); echo "ok   $name";
  else fail=$((fail+1)); echo "FAIL $name: exit $got, expected $want"; cat err.txt; fi
}
check help 0 "$T" --help
grep -q "engines:" out.txt || { fail=$((fail+1)); echo "FAIL help lists engines"; }
check version 0 "$T" --version
grep -q "tinsel 0" out.txt || { fail=$((fail+1)); echo "FAIL version text"; }
check no-args 2 "$T"
check unknown-engine 2 "$T" nosuch
grep -q "unknown engine 'nosuch'" err.txt || { fail=$((fail+1)); echo "FAIL unknown engine message"; }
check demo-help 0 "$T" demo --help
check demo-bad-option 2 "$T" demo --bogus
grep -q "unknown option '--bogus'" err.txt || { fail=$((fail+1)); echo "FAIL unknown option message"; }
check demo-bad-seed 2 "$T" demo --seed -3
check demo-unknown-only 2 "$T" demo --only nosuch
check demo-unwritable 1 "$T" demo --out /proc/version/sub
# Every engine: help works, an unknown command is exit 2.
for e in $("$T" --help | awk '/^engines:/{f=1;next} f&&NF==0{f=0} f{print $1}' | grep -v '^demo$'); do
  check "$e-help" 0 "$T" "$e" --help
  check "$e-unknown-command" 2 "$T" "$e" nosuchcommand
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
