#!/bin/bash
# make bench: `run` of /bin/true in the busybox bundle, hako vs runc vs crun
# in one hyperfine session, printing medians and ratios (hako / peer).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-40}
work=$(mktemp -d /tmp/hako-bench.XXXXXX)
mounted_hugetlb=""
cleanup() {
	for rt in hako runc crun; do
		for id in $(ls "$work/root-$rt" 2>/dev/null); do
			"$(rtbin $rt)" --root "$work/root-$rt" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	[ -n "$mounted_hugetlb" ] && umount /sys/fs/cgroup/hugetlb && rmdir /sys/fs/cgroup/hugetlb 2>/dev/null
	rm -rf "$work"
}
rtbin() { [ "$1" = hako ] && echo "$PWD/hako" || command -v "$1"; }
trap cleanup EXIT

# crun 1.8 knows runtime-spec up to 1.0.x only, hence ociVersion 1.0.2 below.
# crun refuses a v1/v2 hybrid unless the v1 hugetlb hierarchy is mounted.
if [ -d /sys/fs/cgroup/unified ] && ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null && grep -qw hugetlb /proc/cgroups; then
	mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb && mounted_hugetlb=1
fi

tests/integration/mkbundle.sh "$work/bundle" >/dev/null
(cd "$work/bundle" && "$OLDPWD/hako" spec)
jq '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["/bin/true"]' "$work/bundle/config.json" >"$work/c" && mv "$work/c" "$work/bundle/config.json"

cmds=() names=()
for rt in hako runc crun; do
	bin=$(rtbin $rt) || { echo "skip $rt: not installed"; continue; }
	"$bin" --root "$work/root-$rt" run -b "$work/bundle" "probe-$rt" >/dev/null 2>&1 || { echo "skip $rt: cannot run the bundle here"; continue; }
	names+=("$rt")
	cmds+=("$bin --root $work/root-$rt run -b $work/bundle bench-$rt")
done
echo "== run /bin/true: ${names[*]} ($runs runs each, $(nproc) cores, $(uname -r))"
hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/run.json" "${cmds[@]}" >/dev/null
report() {
	jq -r --arg what "$1" '
	  [.results[] | {name: (.command | split(" ")[0] | split("/")[-1]), median: (.median * 1000), mean: (.mean * 1000), stddev: (.stddev * 1000)}] as $r
	  | ($r[] | select(.name == "hako") | .median) as $h
	  | $r[] | "\($what)\t\(.name)\tmedian \(.median * 100 | round / 100) ms\tmean \(.mean * 100 | round / 100) ± \(.stddev * 100 | round / 100) ms\thako/\(.name) = \(($h / .median) * 100 | round / 100)"' "$2"
}
report run "$work/run.json" | column -t -s $'\t'

# exec of /bin/true into a running container: the health-check hot path.
jq '.process.args = ["sleep", "3600"]' "$work/bundle/config.json" >"$work/sleeper.json"
mkdir -p "$work/sleeper" && cp "$work/sleeper.json" "$work/sleeper/config.json" && ln -s "$work/bundle/rootfs" "$work/sleeper/rootfs"
ecmds=()
for rt in "${names[@]}"; do
	bin=$(rtbin $rt)
	"$bin" --root "$work/root-$rt" run -d -b "$work/sleeper" "exec-$rt" </dev/null >/dev/null 2>&1 || continue
	ecmds+=("$bin --root $work/root-$rt exec exec-$rt /bin/true")
done
echo "== exec /bin/true into a running container"
hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/exec.json" "${ecmds[@]}" >/dev/null
report exec "$work/exec.json" | column -t -s $'\t'
for rt in "${names[@]}"; do
	"$(rtbin $rt)" --root "$work/root-$rt" delete -f "exec-$rt" >/dev/null 2>&1 || true
done

# Starting the init from a sealed binary (CVE-2019-5736): cost per create or exec of the overlay used, and of the memfd fallback.
echo "== seccomp, Docker-like default profile per create: $(go test -run '^$' -bench 'Compile' -benchtime 20x ./seccomp/ | awk '/^BenchmarkCompile/ {n = $1; sub(/^BenchmarkCompile/, "", n); sub(/-[0-9]+$/, "", n); if (n == "") n = "compile"; else if (n == "Cached") n = "cache hit"; else n = "cache miss"; printf "%s %.2f ms  ", n, $3 / 1e6}')"
echo "== binary protection per create/exec: $(go test -run '^$' -bench SealedExe -benchtime 200x ./libcontainer/ | awk '/^BenchmarkSealedExe/ {n = $1; sub(/^BenchmarkSealedExe/, "", n); sub(/-[0-9]+$/, "", n); printf "%s %.2f ms  ", tolower(n), $3 / 1e6}')"

# Peak RSS of the process that waits between create and start (runc init,
# crun's init, hako init) is what a node pays per created container.
echo "== memory of a created container's waiting init (RSS, KiB)"
for rt in "${names[@]}"; do
	bin=$(rtbin $rt)
	"$bin" --root "$work/root-$rt" create -b "$work/bundle" "mem-$rt" >/dev/null 2>&1 || continue
	pid=$("$bin" --root "$work/root-$rt" state "mem-$rt" | jq .pid)
	printf '%s\t%s\n' "$rt" "$(awk '/VmRSS/ {print $2}' /proc/$pid/status)"
	"$bin" --root "$work/root-$rt" delete -f "mem-$rt" >/dev/null 2>&1 || true
done | column -t
