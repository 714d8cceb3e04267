#!/bin/bash
# Runs the cgroups test binaries and the CLI's cgroup tests
# (tests/vm/cli-v2.bats, rootless-v2.bats in the default guest and
# rootless-systemd.bats in the systemd one) where
# cgroup v2 exists: a vm-run guest.
#   default mode:  fs2 driver + eBPF device filter (pure cgroup2, all controllers)
#   --systemd:     systemd driver (systemd 252 as PID 1, D-Bus)
# Build happens on the host; the go test -v and bats TAP output is printed
# as is, so a caller can count "--- PASS" / "ok" lines. Exit status is
# non-zero if any suite failed. Run from anywhere inside the repository.
# Environment: VM_RUN (path of vm-run), CGROUPS_TEST_RUN (a -test.run regexp),
# CLI_TEST_FILTER (a bats -f regexp for cli-v2.bats).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 1
vmrun=${VM_RUN:-$repo/../shared/tools/vm-run}
run=${CGROUPS_TEST_RUN:-.}
filter=${CLI_TEST_FILTER:-.}
# With systemd, the tests where the driver makes a difference (unit
# properties, scope start/stop, systemd's own device program); the rest
# is the same fs2 code as in the default guest, and emulated execs are slow.
sdfilter=${CLI_TEST_FILTER:-'^(create: (memory|blockIO|a resource|the init)|enforced: the eBPF|delete --force|update|cgroupsPath)'}

mkdir -p bin
go test -c -o bin/cgroups.test ./cgroups || exit 1
go test -c -o bin/cgroups-devices.test ./cgroups/devices || exit 1
[ -x hako ] || go build -trimpath -o hako . || exit 1
go build -o bin/stress ./tests/stress || exit 1
# tests/stress in each guest: few containers, for emulated execs are slow
# (make stress runs 1000 on the host).
stress_n=${STRESS_VM_N:-24}

# What cli-v2.bats needs in a guest that only sees shared directories (the
# systemd one is Debian minbase): bats (pure bash, relocatable), jq with
# its two libraries, and a busybox bundle with hako's spec, made here.
tools=$repo/bin/vm-tools
rm -rf "$tools"
mkdir -p "$tools/bin" "$tools/lib" "$tools/libexec" || exit 1
cp /usr/bin/bats /usr/bin/jq "$tools/bin/" &&
	cp -a /usr/lib/bats-core "$tools/lib/" && cp -a /usr/libexec/bats-core "$tools/libexec/" &&
	cp -L $(ldd /usr/bin/jq | awk '$3 ~ /lib(jq|onig)/ { print $3 }') "$tools/lib/" &&
	tests/integration/mkbundle.sh "$tools/image" >/dev/null &&
	(cd "$tools/image" && "$repo/hako" spec) || {
	echo "### cannot prepare the guest tools (needs bats jq busybox-static on the host)"
	exit 1
}
# In the guest: bash's <(...) needs /dev/fd (busybox init has none), and
# hako runs from the guest's tmpfs (an exec from the 9p share is slower).
cliprep='[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd; cp hako /tmp/hako-under-test || rc=1'
clienv="PATH=$tools/bin:\$PATH LD_LIBRARY_PATH=$tools/lib VM_IMAGE=$tools/image RUNTIME=/tmp/hako-under-test"

rc=0
echo "### cgroups suite: guest cgroup v2 (vm-run default mode): fs2 driver, eBPF devices"
"$vmrun" --timeout 600 -- /bin/sh -c '
	rc=0
	modprobe loop 2>/dev/null # block devices for the io.max check
	./bin/cgroups.test -test.v -test.count=1 -test.run "$1" -test.skip "Systemd|RootlessHelper" || rc=1
	./bin/cgroups-devices.test -test.v -test.count=1 -test.run "$1" || rc=1
	echo "### cli-v2.bats: guest cgroup v2, fs driver"
	'"$cliprep"'
	env '"$clienv"' HAKO_CGROUP_DRIVER=fs bats --tap -T -f "$2" tests/vm/cli-v2.bats || rc=1
	echo "### rootless-v2.bats: guest cgroup v2, a delegated subtree"
	env '"$clienv"' bats --tap -T -f "$2" tests/vm/rootless-v2.bats || rc=1
	echo "### stress: '"$stress_n"' containers with chaos, guest cgroup v2, fs driver"
	./bin/stress -runtime /tmp/hako-under-test -rootfs '"$tools/image/rootfs"' -n '"$stress_n"' -workers 4 -chaos 2 || rc=1
	exit $rc' sh "$run" "$filter" || rc=1

echo "### cgroups suite: guest cgroup v2 + systemd (vm-run --systemd): systemd driver"
"$vmrun" --systemd --timeout 600 -- /bin/sh -c '
	rc=0
	./bin/cgroups.test -test.v -test.count=1 -test.run "Systemd" || rc=1
	echo "### cli-v2.bats: guest cgroup v2, systemd driver (--systemd-cgroup)"
	'"$cliprep"'
	env '"$clienv"' HAKO_CGROUP_DRIVER=systemd bats --tap -T -f "$2" tests/vm/cli-v2.bats || rc=1
	echo "### rootless-systemd.bats: a user'"'"'s systemd instance"
	env '"$clienv"' bats --tap -T -f "$3" tests/vm/rootless-systemd.bats || rc=1
	echo "### stress: '"$stress_n"' containers with chaos, guest cgroup v2, systemd driver"
	./bin/stress -runtime /tmp/hako-under-test -rootfs '"$tools/image/rootfs"' -n '"$stress_n"' -workers 4 -chaos 2 -systemd-cgroup || rc=1
	exit $rc' sh "$run" "$sdfilter" "$filter" || rc=1

if [ $rc -eq 0 ]; then
	echo "### cgroups guest suites: ok"
else
	echo "### cgroups guest suites: FAILED"
fi
exit $rc
