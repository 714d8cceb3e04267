#!/bin/bash
# TAP lines for the guest scripts (apparmor.sh, checkpoint.sh), sourced in
# the guest: n counts the tests, rc becomes 1 on the first failure.
n=0 rc=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1)) rc=1
	echo "not ok $n - $1"
	shift
	printf '#   %s\n' "$@"
}
# check NAME WANT GOT: one TAP line, the difference shown on failure.
check() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "want: $2" "got:  $3"; fi; }
# ck NAME CMD...: CMD exits 0 (its output shown when not).
ck() {
	local name=$1 out st
	shift
	out=$("$@" 2>&1)
	st=$?
	if [ "$st" = 0 ]; then ok "$name"; else notok "$name" "exit $st" "$out"; fi
}
