#!/bin/bash
# make bench-vm: make bench's section 1 (run, create, start, delete, exec,
# waiting init memory) for hako, runc and crun in the vm-run guests, where
# cgroups are pure v2: the fs driver (default mode) and the systemd driver
# (--systemd, every runtime with --systemd-cgroup). The guests emulate the
# CPU (QEMU TCG), so only the ratios of one guest run mean anything.
#
# Writes .cache/bench/guest-v2/result.json, .cache/bench/guest-systemd/
# result.json and prints both ratio tables side by side.
# Environment: VM_RUN (path of vm-run), BENCH_RUNS (runs per command, 10).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
vmrun=${VM_RUN:-$repo/../shared/tools/vm-run}
runs=${BENCH_RUNS:-10}
runc=${RUNC:-$repo/.cache/ref/runc}
[ -x "$runc" ] || runc=$(command -v runc)

# The systemd guest is Debian minbase and sees only shared directories:
# the tools come from the host (same Debian release), with the libraries
# minbase lacks; glibc is the guest's own.
tools=$repo/bin/vm-bench
rm -rf "$tools"
mkdir -p "$tools/bin" "$tools/lib"
# copy FILE NAME: FILE as bin/NAME, with its libraries but glibc's.
copy() {
	cp -L "$1" "$tools/bin/$2"
	{ ldd "$1" 2>/dev/null || true; } | awk '$3 ~ /^\// && $1 !~ /^(libc|libm|libpthread|libdl|librt|ld-linux)/ { print $3 }' |
		xargs -r cp -L -t "$tools/lib/"
}
for t in hyperfine jq crun busybox; do
	p=$(command -v "$t") || { echo "bench-vm: $t is missing on the host" >&2; exit 1; }
	copy "$p" "$t"
done
copy "$runc" runc

# In the guest, the runtimes run from its tmpfs (an exec from the 9p share
# is slower, and would be slower for one runtime than another).
guest='set -e
mkdir -p /tmp/rt && cp "$T/bin/runc" "$T/bin/crun" hako /tmp/rt/
export PATH="$T/bin:$PATH" LD_LIBRARY_PATH="$T/lib" BUSYBOX="$T/bin/busybox"
export HAKO=/tmp/rt/hako RUNC=/tmp/rt/runc CRUN=/tmp/rt/crun BENCH_SECTIONS=1
hack/bench.sh'

status=0
for mode in v2 systemd; do
	echo "### bench in the vm-run guest: cgroup $mode"
	flags=(--timeout 3000 --env T="$tools" --env BENCH_RUNS="$runs" --env BENCH_OUT="$repo/.cache/bench/guest-$mode")
	if [ "$mode" = systemd ]; then
		flags+=(--systemd --env BENCH_CGROUP=systemd)
	fi
	"$vmrun" "${flags[@]}" -- /bin/bash -c "$guest" || status=1
done
rm -rf "$tools"

echo "### hako / peer ratios in the guests (median; below 1 = hako faster or leaner)"
jq -rn --slurpfile v2 .cache/bench/guest-v2/result.json --slurpfile sd .cache/bench/guest-systemd/result.json '
	def r($x; $b; $k): ($x[0].ratios[] | select(.bench == $b) | .[$k] // null) as $v | if $v then ($v * 100 | round / 100 | tostring) else "-" end;
	(["bench", "v2 hako/runc", "v2 hako/crun", "systemd hako/runc", "systemd hako/crun"] | join("\t")),
	($v2[0].ratios[] | .bench as $b | [$b, r($v2; $b; "hako/runc"), r($v2; $b; "hako/crun"), r($sd; $b; "hako/runc"), r($sd; $b; "hako/crun")] | join("\t"))' |
	column -t -s $'\t' | tee .cache/bench/guest-ratios.txt
exit $status
