#!/bin/bash
# make bench: hako, runc and crun on the same busybox bundles in one run.
#
#   1. foreground run of /bin/true (create+start+wait+delete)
#   2. create, start and delete, each timed on its own
#   3. exec of /bin/true into a running container
#   4. RSS and PSS of the init waiting between create and start
#   5. N containers created and started with 1, 2 and 8 workers (rate)
#   6. state, kill and delete of one container with 1, 100 and 500 existing,
#      and list of all of them (state/kill/delete should stay flat)
#   7. hako's phases in run and exec (HAKO_TRACE), median per phase
#
# Prints a table per benchmark (median and p95 in ms, hako/peer ratios) and
# writes $BENCH_OUT/result.json and, with gnuplot, $BENCH_OUT/ratios.png
# (docs/performance.md shows the latest). The figures are noisy in absolute
# terms on a shared machine; the ratios of one run are what count.
#
# Environment: BENCH_SECTIONS (which of "1 5 6 7" to run: 1 is items 1-4;
# all by default), BENCH_CGROUP (cgroupfs, or systemd: every runtime gets
# --systemd-cgroup), BENCH_RUNS (hyperfine runs per command, 40), BENCH_TRACE_RUNS
# (runs traced for 7., 20), BENCH_PARALLEL
# (containers for 5., 100), BENCH_SCALE (existing containers for 6.,
# "1 100 500"), BENCH_OUT (.cache/bench), RUNC (runc binary: runc 1.5.3 from
# .cache/ref when built there, else the one on PATH), HAKO and CRUN (the
# other two binaries). hack/bench-vm.sh runs section 1 in the vm-run guests
# (cgroup v2 and systemd).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
runs=${BENCH_RUNS:-40}
par_n=${BENCH_PARALLEL:-100}
trace_runs=${BENCH_TRACE_RUNS:-20}
scales=${BENCH_SCALE:-"1 100 500"}
out=${BENCH_OUT:-$repo/.cache/bench}
sections=" ${BENCH_SECTIONS:-1 5 6 7} "
section() { [[ "$sections" == *" $1 "* ]]; }
# G: global flags every runtime gets, unquoted where used (empty: none).
G=""
[ "${BENCH_CGROUP:-cgroupfs}" = systemd ] && G="--systemd-cgroup"
mkdir -p "$out"
work=$(mktemp -d /tmp/hako-bench.XXXXXX)
results=$work/results.jsonl
: >"$results"
mounted_hugetlb=""

rtbin() {
	case $1 in
	hako) echo "${HAKO:-$repo/hako}" ;;
	runc) if [ -n "${RUNC:-}" ]; then echo "$RUNC"; elif [ -x "$repo/.cache/ref/runc" ]; then echo "$repo/.cache/ref/runc"; else command -v runc; fi ;;
	crun) if [ -n "${CRUN:-}" ]; then echo "$CRUN"; else command -v crun; fi ;;
	*) command -v "$1" ;;
	esac
}
rt() { "$(rtbin "$1")" $G --root "$work/root-$1" "${@:2}"; }

cleanup() {
	local r id
	for r in hako runc crun; do
		[ -d "$work/root-$r" ] || continue
		for id in $(ls "$work/root-$r" 2>/dev/null); do
			rt "$r" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	[ -n "$mounted_hugetlb" ] && umount /sys/fs/cgroup/hugetlb && rmdir /sys/fs/cgroup/hugetlb 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# crun 1.8 knows runtime-spec up to 1.0.x only, hence ociVersion 1.0.2 below.
# crun refuses a v1/v2 hybrid unless the v1 hugetlb hierarchy is mounted.
if [ -d /sys/fs/cgroup/unified ] && ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null && grep -qw hugetlb /proc/cgroups; then
	mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb && mounted_hugetlb=1
fi

tests/integration/mkbundle.sh "$work/bundle" >/dev/null
(cd "$work/bundle" && "$repo/hako" spec)
jq '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["/bin/true"]' "$work/bundle/config.json" >"$work/c" && mv "$work/c" "$work/bundle/config.json"
mkdir -p "$work/sleeper"
# The same rootfs, named by its real path (runc refuses a symlinked one).
jq --arg r "$work/bundle/rootfs" '.process.args = ["sleep", "3600"] | .root.path = $r' "$work/bundle/config.json" >"$work/sleeper/config.json"

names=()
for r in hako runc crun; do
	bin=$(rtbin $r) || { echo "skip $r: not installed"; continue; }
	rt $r run -b "$work/bundle" "probe-$r" >/dev/null 2>&1 || { echo "skip $r: cannot run the bundle here"; continue; }
	names+=("$r")
done
echo "runtimes: $(for r in "${names[@]}"; do printf '%s (%s)  ' "$r" "$("$(rtbin $r)" --version 2>/dev/null | head -1)"; done)"
echo "host: $(nproc) cores, $(uname -r), $runs runs per command"

# record BENCH RUNTIME HYPERFINE_JSON: one line per command into $results.
record() {
	jq -c --arg b "$1" --arg r "$2" '.results[0] | (.times | sort) as $t |
		{bench: $b, runtime: $r, unit: "ms", median: (.median * 1000),
		 p95: (($t[(($t | length) * 0.95) | floor] // $t[-1]) * 1000), runs: ($t | length)}' "$3" >>"$results"
}
record_value() { # BENCH RUNTIME VALUE UNIT
	jq -nc --arg b "$1" --arg r "$2" --argjson v "$3" --arg u "$4" '{bench: $b, runtime: $r, unit: $u, median: $v}' >>"$results"
}

# hf BENCH RUNTIME [hyperfine options] -- COMMAND...: one command, recorded.
hf() {
	local b=$1 r=$2
	shift 2
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	hyperfine -N --warmup 3 --runs "$runs" "${opts[@]}" --export-json "$work/hf.json" "$*" >/dev/null 2>"$work/hf.err" ||
		{ echo "  $b/$r failed: $(tail -3 "$work/hf.err")"; return 0; }
	record "$b" "$r" "$work/hf.json"
}

# table: tab-separated lines as aligned columns (column is not everywhere).
table() { if command -v column >/dev/null; then column -t -s $'\t'; else cat; fi; }

# script NAME BODY: an executable for hyperfine's --prepare (no shell there).
script() {
	printf '#!/bin/bash\n%s\n' "$2" >"$work/$1"
	chmod +x "$work/$1"
	echo "$work/$1"
}

section 1 && echo "== 1-4: run, create, start, delete, exec, waiting init memory"
section 1 && for r in "${names[@]}"; do
	b=$(rtbin $r) R="$work/root-$r"
	hf run "$r" -- "$b" $G --root "$R" run -b "$work/bundle" "bench-$r"
	p=$(script "prep-create-$r" "$b $G --root $R delete -f c-$r >/dev/null 2>&1; exit 0")
	hf create "$r" --prepare "$p" -- "$b" $G --root "$R" create -b "$work/bundle" "c-$r"
	p=$(script "prep-start-$r" "$b $G --root $R delete -f s-$r >/dev/null 2>&1; $b $G --root $R create -b $work/bundle s-$r >/dev/null")
	hf start "$r" --prepare "$p" -- "$b" $G --root "$R" start "s-$r"
	p=$(script "prep-delete-$r" "$b $G --root $R delete -f d-$r >/dev/null 2>&1; $b $G --root $R run -d -b $work/bundle d-$r >/dev/null </dev/null
for i in \$(seq 200); do [ \"\$($b $G --root $R state d-$r | jq -r .status)\" = stopped ] && exit 0; sleep 0.01; done; exit 1")
	hf delete "$r" --prepare "$p" -- "$b" $G --root "$R" delete "d-$r"
	rt $r delete -f "c-$r" >/dev/null 2>&1 || true
	rt $r delete -f "s-$r" >/dev/null 2>&1 || true
	rt $r run -d -b "$work/sleeper" "exec-$r" </dev/null >/dev/null 2>&1
	hf exec "$r" -- "$b" $G --root "$R" exec "exec-$r" /bin/true
	rt $r delete -f "exec-$r" >/dev/null 2>&1 || true
	# The waiting init: what a node pays per created, not yet started container.
	rt $r create -b "$work/bundle" "mem-$r" >/dev/null 2>&1
	pid=$(rt $r state "mem-$r" | jq .pid)
	record_value rss "$r" "$(awk '/^Rss:/ {print $2 / 1024}' /proc/$pid/smaps_rollup)" MiB
	record_value pss "$r" "$(awk '/^Pss:/ {print $2 / 1024}' /proc/$pid/smaps_rollup)" MiB
	rt $r delete -f "mem-$r" >/dev/null 2>&1 || true
done

section 5 && echo "== 5: $par_n containers created and started, 1/2/8 workers"
section 5 && for r in "${names[@]}"; do
	b=$(rtbin $r) R="$work/root-$r"
	one=$(script "one-$r" "$b $G --root $R create -b $work/bundle \$1 >/dev/null && $b $G --root $R start \$1")
	for w in 1 2 8; do
		t0=$(date +%s.%N)
		seq -f "p$w-%g" "$par_n" | xargs -P "$w" -n 1 "$one" || echo "  parallel/$r/$w: some failed"
		t1=$(date +%s.%N)
		record_value "parallel-$w" "$r" "$(echo "$par_n / ($t1 - $t0)" | bc -l | xargs printf '%.1f')" containers/s
		for id in $(seq -f "p$w-%g" "$par_n"); do rt $r delete -f "$id" >/dev/null 2>&1 || true; done
	done
done

section 6 && echo "== 6: state, kill, delete of one container and list, with $scales existing"
section 6 && for r in "${names[@]}"; do
	b=$(rtbin $r) R="$work/root-$r"
	have=0
	for n in $scales; do
		while [ "$have" -lt "$n" ]; do
			rt $r create -b "$work/sleeper" "x-$have" >/dev/null 2>&1 </dev/null
			have=$((have + 1))
		done
		hf "state@$n" "$r" -- "$b" $G --root "$R" state x-0
		hf "kill@$n" "$r" -- "$b" $G --root "$R" kill x-0 0
		p=$(script "prep-del-$r" "$b $G --root $R delete -f spare >/dev/null 2>&1; $b $G --root $R create -b $work/bundle spare >/dev/null")
		hf "delete@$n" "$r" --prepare "$p" -- "$b" $G --root "$R" delete -f spare
		hf "list@$n" "$r" -- "$b" $G --root "$R" list -q
	done
	for id in $(ls "$R"); do rt $r delete -f "$id" >/dev/null 2>&1 || true; done
done

# Where hako's time goes: HAKO_TRACE lines (libcontainer/trace) of run and
# exec, median per phase. "d" is the time since the previous line of the
# same process; the init's lines are its own (from its exec).
echo '{}' >"$work/phases.json"
if section 7; then
echo "== phases of hako run and exec (HAKO_TRACE, median of $trace_runs)"
for i in $(seq "$trace_runs"); do
	HAKO_TRACE="$work/trace-run.txt" rt hako run -b "$work/bundle" "tr-$i" >/dev/null 2>&1 || true
done
rt hako run -d -b "$work/sleeper" tr-exec </dev/null >/dev/null 2>&1
for i in $(seq "$trace_runs"); do
	HAKO_TRACE="$work/trace-exec.txt" rt hako exec tr-exec /bin/true >/dev/null 2>&1 || true
done
rt hako delete -f tr-exec >/dev/null 2>&1 || true
for v in run exec; do
	# "hako-trace pid= at= t= d=MS PHASE..." -> {verb, phase, d}, in order
	awk -v v="$v" '$1 == "hako-trace" { ph = $6; for (i = 7; i <= NF; i++) ph = ph " " $i; sub(/^d=/, "", $5); printf "{\"verb\":\"%s\",\"phase\":\"%s\",\"d\":%s}\n", v, ph, $5 }' "$work/trace-$v.txt"
done | jq -s -c 'group_by(.verb) | map({(.[0].verb): (
	(to_entries | map(.value + {i: .key})) as $all
	| [$all | group_by(.phase)[] | {phase: .[0].phase, first: (map(.i) | min), d: (map(.d) | sort | .[length / 2 | floor])}]
	| sort_by(.first) | map({phase, median_ms: .d}))}) | add' >"$work/phases.json"
jq -r 'to_entries[] | .key as $v | .value[] | "  \($v)\t\(.median_ms)\t\(.phase)"' "$work/phases.json" | table

# hako's own costs that no peer has an equivalent of.
echo "== seccomp, Docker-like default profile per create: $(go test -run '^$' -bench 'Compile' -benchtime 20x ./seccomp/ | awk '/^BenchmarkCompile/ {n = $1; sub(/^BenchmarkCompile/, "", n); sub(/-[0-9]+$/, "", n); if (n == "") n = "compile"; else if (n == "Cached") n = "cache hit"; else n = "cache miss"; printf "%s %.2f ms  ", n, $3 / 1e6}')"
echo "== binary protection per create/exec: $(go test -run '^$' -bench SealedExe -benchtime 200x ./libcontainer/ | awk '/^BenchmarkSealedExe/ {n = $1; sub(/^BenchmarkSealedExe/, "", n); sub(/-[0-9]+$/, "", n); printf "%s %.2f ms  ", tolower(n), $3 / 1e6}')"
fi

# Tables and ratios: lower is better for times and memory, higher for rates.
jq -s --slurpfile phases "$work/phases.json" '{host: {cores: '"$(nproc)"', kernel: "'"$(uname -r)"'", date: "'"$(date -u +%FT%TZ)"'"},
	runtimes: '"$(for r in "${names[@]}"; do echo "{\"$r\": \"$("$(rtbin $r)" --version 2>/dev/null | head -1)\"}"; done | jq -s add)"',
	results: ., phases: $phases[0],
	ratios: (group_by(.bench) | map(
		(map({(.runtime): .median}) | add) as $m
		| {bench: .[0].bench, unit: .[0].unit}
		+ (if $m.hako and $m.runc then {"hako/runc": ($m.hako / $m.runc)} else {} end)
		+ (if $m.hako and $m.crun then {"hako/crun": ($m.hako / $m.crun)} else {} end)))}' "$results" >"$out/result.json"

jq -r '.results as $r | .ratios[] | . as $x |
	[$x.bench, $x.unit] + ([$r[] | select(.bench == $x.bench)] | map("\(.runtime) \(.median * 100 | round / 100)" + (if .p95 then " (p95 \(.p95 * 100 | round / 100))" else "" end))) +
	[if $x["hako/runc"] then "hako/runc \($x["hako/runc"] * 100 | round / 100)" else "" end,
	 if $x["hako/crun"] then "hako/crun \($x["hako/crun"] * 100 | round / 100)" else "" end] | join("\t")' "$out/result.json" | table
echo "result: $out/result.json"

if command -v gnuplot >/dev/null; then
	jq -r '.ratios[] | select(.unit == "ms" or .unit == "MiB") | [.bench, (.["hako/runc"] // "NaN"), (.["hako/crun"] // "NaN")] | @tsv' "$out/result.json" >"$work/ratios.tsv"
	gnuplot <<-EOF
		set terminal pngcairo size 1100,500 noenhanced
		set output "$out/ratios.png"
		set title "hako / peer (median; below 1 = hako faster or leaner)"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.8
		set xtics rotate by -35
		set yrange [0:*]
		set grid ytics
		set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "black"
		plot "$work/ratios.tsv" using 2:xtic(1) title "hako/runc", "" using 3 title "hako/crun"
	EOF
	echo "plot: $out/ratios.png"
else
	echo "no gnuplot: no plot (apt-get install gnuplot-nox)"
fi
