#!/bin/bash
# Runs the cgroups test binaries where cgroup v2 exists: a vm-run guest.
#   default mode:  fs2 driver + eBPF device filter (pure cgroup2, all controllers)
#   --systemd:     systemd driver (systemd 252 as PID 1, D-Bus)
# Build happens on the host; the go test -v output is printed as is, so a
# caller can count "--- PASS" / "--- FAIL" lines. Exit status is non-zero
# if any suite failed. Run from anywhere inside the repository.
# Environment: VM_RUN (path of vm-run), CGROUPS_TEST_RUN (a -test.run regexp).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 1
vmrun=${VM_RUN:-$repo/../shared/tools/vm-run}
run=${CGROUPS_TEST_RUN:-.}

mkdir -p bin
go test -c -o bin/cgroups.test ./cgroups || exit 1
go test -c -o bin/cgroups-devices.test ./cgroups/devices || exit 1

rc=0
echo "### cgroups suite: guest cgroup v2 (vm-run default mode): fs2 driver, eBPF devices"
"$vmrun" --timeout 600 -- /bin/sh -c '
	rc=0
	modprobe loop 2>/dev/null # block devices for the io.max check
	./bin/cgroups.test -test.v -test.count=1 -test.run "$1" -test.skip "Systemd|RootlessHelper" || rc=1
	./bin/cgroups-devices.test -test.v -test.count=1 -test.run "$1" || rc=1
	exit $rc' sh "$run" || rc=1

echo "### cgroups suite: guest cgroup v2 + systemd (vm-run --systemd): systemd driver"
"$vmrun" --systemd --timeout 600 -- /bin/sh -c '
	rc=0
	./bin/cgroups.test -test.v -test.count=1 -test.run "Systemd" || rc=1
	exit $rc' sh || rc=1

if [ $rc -eq 0 ]; then
	echo "### cgroups guest suites: ok"
else
	echo "### cgroups guest suites: FAILED"
fi
exit $rc
