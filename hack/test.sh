#!/bin/bash
# Runs every suite, prints each one's output, and ends with one line
# "N passed, N failed" counting go test and bats results together.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp -d /tmp/hako-test.XXXXXX)
trap 'rm -rf "$log"' EXIT
pass=0 fail=0 skip=0 rc=0

count_go() { # go test -v output: top-level and subtests alike
	local p f s
	p=$(grep -cE '^\s*--- PASS' "$1")
	f=$(grep -cE '^\s*--- FAIL' "$1")
	s=$(grep -cE '^\s*--- SKIP' "$1")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}
count_tap() {
	local p f s
	s=$(grep -cE '^ok .*# skip' "$1")
	p=$(($(grep -cE '^ok ' "$1") - s))
	f=$(grep -cE '^not ok ' "$1")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

echo "== go vet and gofmt"
if [ -n "$(gofmt -l $(git ls-files '*.go'))" ]; then
	echo "gofmt would change: $(gofmt -l $(git ls-files '*.go'))"
	fail=$((fail + 1))
fi
go vet ./... || { fail=$((fail + 1)); rc=1; }

echo "== go test (host: $(uname -r), race detector on the pure packages)"
go test -race -count=1 -v ./libcontainer/logs/... ./libcontainer/caps/... ./libcontainer/validate/... \
	./libcontainer/rootfs/... ./libcontainer/hooks/... ./libcontainer/lsm/... ./libcontainer/ ./libcontainer/intelrdt/... \
	./libcontainer/syncproto/... ./seccomp/... ./cgroups/... \
	./nsenter/... ./internal/... . 2>&1 | tee "$log/go.txt" | grep -E '^(ok|FAIL|---|panic)' || true
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
count_go "$log/go.txt"

echo "== fuzz: each target 3000 inputs (make fuzz: 10 min each; docs/fuzzing.md)"
make -s fuzz FUZZTIME=3000x 2>&1 | tee "$log/fuzz.txt"
if [ "${PIPESTATUS[0]}" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)) rc=1; fi

echo "== bats tests/integration (host, cgroup v1/v2 hybrid)"
bats --tap tests/integration tests/integration/security 2>&1 | tee "$log/bats.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
count_tap "$log/bats.txt"

echo "== stress: 200 containers, 8-way, with chaos on the same ids (all of it: make stress)"
go run ./tests/stress -runtime ./hako -n 200 2>&1 | tee "$log/stress.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
count_tap "$log/stress.txt"

echo "== engines smoke (podman and ctr on hako: hack/test-engines.sh --smoke; all of it: make test-engines)"
hack/test-engines.sh --smoke 2>&1 | tee "$log/engines.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
count_tap "$log/engines.txt"

for vm in tests/vm/*.sh; do
	[ -x "$vm" ] || continue
	echo "== $vm (cgroup v2 guest through ../shared/tools/vm-run)"
	"$vm" 2>&1 | tee "$log/vm.txt"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
	count_go "$log/vm.txt"
	count_tap "$log/vm.txt"
done

[ "$fail" -eq 0 ] || rc=1
echo "$pass passed, $fail failed, $skip skipped"
exit $rc
