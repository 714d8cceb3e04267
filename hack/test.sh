#!/bin/bash
# Runs every suite, prints each one's output, then a summary of the
# sections (what each passed, failed and skipped, and its exit status) and
# ends with one line "N passed, N failed, N skipped" counting go test and
# TAP results together. A section that exits non-zero without a failing
# test of its own (a test binary that died, bats cut short, a guest that
# did not boot) counts as one failure, named in the summary: the tail of
# the output alone says what failed.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp -d /tmp/hako-test.XXXXXX)
trap 'rm -rf "$log"' EXIT
pass=0 fail=0 skip=0 rc=0
summary=()

# counts FILE: "passed failed skipped" of go test -v (top-level and
# subtests alike) and TAP lines together.
counts() {
	local p f s ts tp tf
	p=$(grep -cE '^\s*--- PASS' "$1")
	f=$(grep -cE '^\s*--- FAIL' "$1")
	s=$(grep -cE '^\s*--- SKIP' "$1")
	ts=$(grep -cE '^ok .*# skip' "$1")
	tp=$(($(grep -cE '^ok [0-9]' "$1") - ts))
	tf=$(grep -cE '^not ok ' "$1")
	echo "$((p + tp)) $((f + tf)) $((s + ts))"
}
# section NAME STATUS FILE: adds FILE's counts to the total and a line to
# the summary; a non-zero STATUS with no failing test is one failure.
section() {
	local name=$1 st=$2 p f s extra=""
	read -r p f s < <(counts "$3")
	if [ "$st" -ne 0 ]; then
		rc=1
		if [ "$f" -eq 0 ]; then
			f=1
			extra="  <- exited $st with no failing test: see its output above"
		fi
	fi
	# bats says so when a file's tests were cut short
	grep -h 'bats warning' "$3" | sed 's/^/  /' >>"$log/warnings"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	summary+=("$(printf '%-44s %4d passed %3d failed %3d skipped  exit %d%s' "$name" "$p" "$f" "$s" "$st" "$extra")")
}

echo "== go vet and gofmt"
: >"$log/vet.txt"
if [ -n "$(gofmt -l $(git ls-files '*.go'))" ]; then
	echo "gofmt would change: $(gofmt -l $(git ls-files '*.go'))" | tee -a "$log/vet.txt"
	echo "not ok - gofmt" >>"$log/vet.txt"
fi
go vet ./... 2>&1 | tee -a "$log/vet.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || echo "not ok - go vet" >>"$log/vet.txt"
st=0
grep -q '^not ok' "$log/vet.txt" && st=1
section "go vet and gofmt" $st "$log/vet.txt"

echo "== go test (host: $(uname -r), race detector on the pure packages)"
go test -race -count=1 -v ./libcontainer/logs/... ./libcontainer/caps/... ./libcontainer/validate/... \
	./libcontainer/rootfs/... ./libcontainer/hooks/... ./libcontainer/lsm/... ./libcontainer/ ./libcontainer/intelrdt/... \
	./libcontainer/syncproto/... ./seccomp/... ./cgroups/... \
	./nsenter/... ./internal/... . >"$log/go.txt" 2>&1
st=$?
# the package lines, every failure with the lines before it (a test
# binary that dies prints no "--- FAIL")
grep -E '^(ok|FAIL|---|panic)' "$log/go.txt"
if [ "$st" -ne 0 ]; then
	echo "# go test exited $st; its failures in context:"
	grep -B30 -E '^(FAIL|--- FAIL|panic|fatal error)|DATA RACE' "$log/go.txt" | tail -200
fi
section "go test" $st "$log/go.txt"

echo "== fuzz: each target 3000 inputs (make fuzz: 10 min each; docs/fuzzing.md)"
make -s fuzz FUZZTIME=3000x 2>&1 | tee "$log/fuzz.txt"
st=${PIPESTATUS[0]}
# one result for the whole section, whatever its go test lines say
{ [ "$st" -eq 0 ] && echo "ok 1 - fuzz" || echo "not ok 1 - fuzz"; } >"$log/fuzz-result.txt"
section "fuzz" "$st" "$log/fuzz-result.txt"

echo "== bats tests/integration (host, cgroup v1/v2 hybrid)"
bats --tap tests/integration tests/integration/security 2>&1 | tee "$log/bats.txt"
section "bats tests/integration" "${PIPESTATUS[0]}" "$log/bats.txt"

echo "== stress: 200 containers, 8-way, with chaos on the same ids (all of it: make stress)"
go run ./tests/stress -runtime ./hako -n 200 2>&1 | tee "$log/stress.txt"
section "stress (200 containers)" "${PIPESTATUS[0]}" "$log/stress.txt"

echo "== engines smoke (podman and ctr on hako: hack/test-engines.sh --smoke; all of it: make test-engines)"
hack/test-engines.sh --smoke 2>&1 | tee "$log/engines.txt"
section "engines smoke" "${PIPESTATUS[0]}" "$log/engines.txt"

for vm in tests/vm/*.sh; do
	[ -x "$vm" ] || continue
	echo "== $vm (cgroup v2 guest through ../shared/tools/vm-run)"
	"$vm" 2>&1 | tee "$log/vm.txt"
	section "$vm" "${PIPESTATUS[0]}" "$log/vm.txt"
done

echo "== summary"
printf '%s\n' "${summary[@]}"
[ -s "$log/warnings" ] && cat "$log/warnings"
[ "$fail" -eq 0 ] || rc=1
echo "$pass passed, $fail failed, $skip skipped"
exit $rc
