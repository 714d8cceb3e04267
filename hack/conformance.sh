#!/usr/bin/env bash
# make conformance: the opencontainers/runtime-tools validation programs
# (validation/*, one TAP-printing main program each) run against hako and
# against the reference runc, one table row per program (docs/conformance.md).
#
#   hack/conformance.sh            build (cached) and run every program
#   CONFORMANCE_ONLY="default hooks" hack/conformance.sh    a subset
#   CONFORMANCE_RUNTIMES=hako hack/conformance.sh          one runtime only
#   CONFORMANCE_DOC=docs/conformance.md hack/conformance.sh  also rewrite the
#       table between the <!-- conformance-table --> markers of that file
#
# Everything is built into .cache/conformance (gitignored): a throwaway Go
# module pinning runtime-tools, the validation programs, runtimetest. Each
# run happens in a fresh /tmp directory holding the rootfs tarball, the
# runtime wrappers and private --root directories; the trap removes it and
# everything the programs left behind (containers, processes, mounts, the
# runtime-tools cgroups), also on failure or ^C.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
HAKO=${HAKO:-$TOP/hako}
REF_RUNC=${REF_RUNC:-$TOP/.cache/ref/runc}
OUT=${CONFORMANCE_OUT:-$TOP/.cache/conformance}
TIMEOUT=${CONFORMANCE_TIMEOUT:-120}
RUNTIMES=${CONFORMANCE_RUNTIMES:-hako runc runc-statx}
LOCK=/tmp/hako-suite.lock
GO=${GO:-go}

# v0.9.0 is the newest runtime-tools tag the module proxy serves. It has no
# go.mod (it vendored with Godeps), so its dependencies are pinned here: the
# Godeps revisions themselves are not served, these are the nearest tagged
# versions that build (runtime-spec 1.0.2 keeps the int64 limits and the
# string State.Status the suite expects; selinux 1.11 still has FileLabel).
RT_MOD=github.com/opencontainers/runtime-tools
RT_VERSION=v0.9.0
GOMOD="module hako.conformance

go 1.23

require (
	$RT_MOD $RT_VERSION
	github.com/blang/semver v3.5.1+incompatible
	github.com/cyphar/filepath-securejoin v0.5.1
	github.com/hashicorp/errwrap v1.0.0
	github.com/hashicorp/go-multierror v1.1.1
	github.com/mndrix/tap-go v0.0.0-20171203230836-629fa407e90b
	github.com/mrunalp/fileutils v0.5.1
	github.com/opencontainers/runtime-spec v1.0.2
	github.com/opencontainers/selinux v1.11.0
	github.com/satori/go.uuid v1.2.0
	github.com/sirupsen/logrus v1.10.2
	github.com/syndtr/gocapability v0.0.0-20200815063812-42c35b437635
	github.com/urfave/cli v1.22.17
	github.com/xeipuuv/gojsonpointer v0.0.0-20180127040702-4e3ac2762d5f
	github.com/xeipuuv/gojsonreference v0.0.0-20180127040603-bd5ef7bd5415
	github.com/xeipuuv/gojsonschema v1.2.0
	golang.org/x/sys v0.26.0
	gopkg.in/check.v1 v1.0.0-20201130134442-10cb98267c6c
	gopkg.in/yaml.v2 v2.4.0
)
"

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'conformance: %s\n' "$*" >&2; exit 1; }

for b in "$HAKO" "$REF_RUNC" /bin/busybox; do
	[ -x "$b" ] || die "$b not found (make build, make $REF_RUNC, apt-get install busybox-static)"
done
command -v flock >/dev/null || die "flock not found (util-linux)"
command -v jq >/dev/null || die "jq not found (apt-get install jq)"

# ---- the table --------------------------------------------------------------
# report: the table from $RESULTS (and the doc when asked).
report() {
cell() { # program runtime
	awk -F'\t' -v p="$1" -v r="$2" '$1 == p && $2 == r {
		s = $3 " / " $4 " / " $5; if ($6 != "ok") s = s " " $6; print s; found = 1 }
		END { if (!found) print "-" }' "$RESULTS"
}
# note program: hako against the reference runc column.
note() {
	awk -F'\t' -v p="$1" '$1 == p { bad[$2] = ($4 > 0 || ($6 != "ok" && $6 != "no test points, no error")); f[$2] = $4; st[$2] = $6; seen[$2] = 1 }
	END {
		if (!seen["hako"]) { print ""; exit }
		# runc-statx is the reference when present: plain runc fails every
		# create with the default profile of the suite, and a program that only
		# wants create to fail (process_capabilities_fail) passes by that.
		ref = ""
		if (seen["runc-statx"]) ref = "runc-statx"
		else if (seen["runc"]) ref = "runc"
		refbad = bad[ref]
		if (ref == "") { print ""; exit }
		if (!bad["hako"] && !refbad) print "pass"
		else if (bad["hako"] && !refbad) print "**hako only**"
		else if (!bad["hako"]) print "runc only"
		# A reference that stopped early (error) ran fewer checks to fail.
		else if (f["hako"] <= f[ref] || st[ref] != "ok") print "runc too"
		else print "**hako fails more**"
	}' "$RESULTS"
}
TABLE=$OUT/table.md
{
	head="| program |"
	rule="|---|"
	for rt in $RUNTIMES; do
		case $rt in
		hako) head="$head hako |" ;;
		runc) head="$head runc 1.5.3 |" ;;
		runc-statx) head="$head runc 1.5.3, statx allowed |" ;;
		esac
		rule="$rule---|"
	done
	echo "$head |"
	echo "$rule---|"
	for p in "${progs[@]}"; do
		row="| $p |"
		for rt in $RUNTIMES; do row="$row $(cell "$p" "$rt") |"; done
		echo "$row $(note "$p") |"
	done
	row="| **total** |"
	for rt in $RUNTIMES; do
		row="$row $(awk -F'\t' -v r="$rt" '$2 == r { p += $3; f += $4; s += $5 } END { printf "%d / %d / %d", p, f, s }' "$RESULTS") |"
	done
	echo "$row |"
} >"$TABLE"
cat "$TABLE"

if [ -n "${CONFORMANCE_DOC:-}" ]; then
	doc=$CONFORMANCE_DOC
	grep -q '^<!-- conformance-table -->$' "$doc" || die "$doc has no <!-- conformance-table --> markers"
	awk -v t="$TABLE" '
	/^<!-- conformance-table -->$/ { print; if (!inside) { while ((getline l < t) > 0) print l }; inside = !inside; next }
	!inside { print }' "$doc" >"$doc.new" && mv "$doc.new" "$doc"
fi

# Non-zero when hako fails where runc does not.
! grep -q '\*\*hako' "$TABLE"
}

LOGS=$OUT/logs
RESULTS=$OUT/results.tsv
# CONFORMANCE_TABLE_ONLY=1: redo the table (and doc) from the last run's
# results, running nothing.
if [ -n "${CONFORMANCE_TABLE_ONLY:-}" ]; then
	[ -s "$RESULTS" ] || die "no results in $RESULTS (run without CONFORMANCE_TABLE_ONLY first)"
	mapfile -t progs < <(cut -f1 "$RESULTS" | awk '!seen[$0]++')
	RUNTIMES=$(cut -f2 "$RESULTS" | awk '!seen[$0]++' | tr '\n' ' ')
	report
	exit
fi

# ---- build (no lock: nothing here starts a container) ----------------------
build() {
	local mod=$OUT/mod bin=$OUT/bin stamp
	mkdir -p "$mod" "$bin"
	stamp=$(printf '%s' "$GOMOD" | sha256sum | cut -c1-16)
	if [ -f "$bin/.stamp" ] && [ "$(cat "$bin/.stamp")" = "$stamp" ] && [ -x "$bin/runtimetest" ]; then
		return
	fi
	log "building runtime-tools $RT_VERSION validation programs into $bin"
	printf '%s' "$GOMOD" >"$mod/go.mod"
	# The module needs one file to be a module with packages to build from.
	printf 'package conformance\n' >"$mod/doc.go"
	(
		cd "$mod"
		export GOFLAGS=-mod=mod
		local pkgs
		pkgs=$($GO list "$RT_MOD/validation/..." | grep -v '/validation/util$')
		rm -f "$bin"/*.t
		# go build -o DIR names each binary after its package directory.
		$GO build -o "$bin/" $pkgs
		for p in $pkgs; do mv "$bin/${p##*/}" "$bin/${p##*/}.t"; done
		# runtimetest runs inside the container on a busybox rootfs: static.
		CGO_ENABLED=0 $GO build -o "$bin/runtimetest" "$RT_MOD/cmd/runtimetest"
	)
	echo "$stamp" >"$bin/.stamp"
}
build

# ---- the run directory and its cleanup -------------------------------------
WORK=$(mktemp -d /tmp/hako-conformance.XXXXXX)
MARK="HAKO_CONFORMANCE_RUN=$WORK"
CG_NAMES="cgrouptest testdir"
CG_BEFORE=$WORK/cgroups.before

# Cgroup directories the suite names (AbsCgroupPath /cgrouptest, RelCgroupPath
# testdir/cgrouptest/container) anywhere in the hierarchies.
list_suite_cgroups() {
	local n args=()
	for n in $CG_NAMES; do args+=(-name "$n" -o); done
	unset 'args[${#args[@]}-1]'
	find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d \( "${args[@]}" \) 2>/dev/null | sort || true
}
list_suite_cgroups >"$CG_BEFORE"

# Processes the programs started themselves (unshare ... sleep 10000 in the
# ns_path tests) carry $MARK in their environment; container processes are
# reaped by `delete --force` below.
kill_marked() {
	local p
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = $$ ] && continue
		if tr "\\0" "\\n" 2>/dev/null <"/proc/$p/environ" | grep -qxF "$MARK"; then
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
}

cleanup_run() {
	local rt id
	for rt in $RUNTIMES; do
		[ -x "$WORK/bin/$rt" ] || continue
		for id in $("$WORK/bin/$rt" list -q 2>/dev/null); do
			"$WORK/bin/$rt" delete --force "$id" >/dev/null 2>&1 || true
		done
	done
	kill_marked
	# Mounts under the run directory (bundles the programs bind or that a
	# runtime left), deepest first.
	awk -v w="$WORK" '$5 ~ "^"w {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	# The suite's cgroups that were not there before, deepest first (rmdir
	# only: a cgroup that still has processes stays and is reported).
	list_suite_cgroups | comm -13 "$CG_BEFORE" - | while read -r c; do
		find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
		if [ -d "$c" ]; then echo "conformance: cgroup $c left behind" >&2; fi
	done
	# Bundles the programs did not remove (a failed create keeps its ocitest*).
	find "$WORK/tmp" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system {} + 2>/dev/null || true
}

# The suite lock (shared with every container test run on this machine) is
# taken per batch: held while programs run, given up after BATCH seconds so
# that other suites get their turn, never held while building or idle. The
# programs get fd 9 closed, so nothing they leave behind keeps the lock.
BATCH=${CONFORMANCE_BATCH:-120}
locked=0 batch_start=0
lock() {
	if [ $locked = 1 ] && [ $((SECONDS - batch_start)) -ge "$BATCH" ]; then
		flock -u 9
		locked=0
		sleep 2
	fi
	if [ $locked = 0 ]; then
		exec 9>>"$LOCK"
		flock 9
		locked=1 batch_start=$SECONDS
	fi
}
unlock() { if [ $locked = 1 ]; then flock -u 9; exec 9>&-; locked=0; fi; }

cleanup_all() {
	local rc=$?
	trap - EXIT INT TERM
	# The reader of our output may be gone (^C on a pipeline): cleanup
	# must not die of SIGPIPE half-way.
	trap '' PIPE
	cleanup_run
	unlock
	rm -rf --one-file-system "$WORK"
	exit "$rc"
}
trap cleanup_all EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/run" "$WORK/tmp" "$WORK/bin" "$WORK/rootfs"
# Searchable like /tmp itself: linux_ns_nopath maps the container's root to
# host uid 1000, which must reach the bundle the suite makes under $TMPDIR.
chmod 0755 "$WORK"
chmod 1777 "$WORK/tmp"
# The programs untar rootfs-$GOARCH.tar.gz from their working directory into
# each bundle (the bundle is the rootfs: root.path "."), and copy
# ./runtimetest into it. The rootfs is Debian's busybox-static, the same
# layout the suite's own tarball has (bin/busybox, applet links, /etc).
"$TOP/tests/integration/mkbundle.sh" "$WORK/rootfs" >/dev/null
tar -C "$WORK/rootfs/rootfs" -czf "$WORK/run/rootfs-$($GO env GOARCH).tar.gz" .
rm -rf "$WORK/rootfs"
cp "$OUT/bin/runtimetest" "$WORK/run/runtimetest"

# The programs call "$RUNTIME create|start|state|kill|delete ..." with fixed
# arguments: these wrappers add a private --root so the host's containers
# are never seen or touched.
#
# runc-statx is the reference runc with one change to each bundle before
# create: "statx" added to the allowed syscalls of a seccomp profile that
# does not name it. The suite's default profile (runtime-tools'
# generate/seccomp, 2019) predates statx, and runc 1.5's init calls statx
# (STATX_MNT_ID, checking its procfs handle) after the filter is loaded, so
# plain runc cannot start any container with the suite's default config.
# This column shows what runc does with everything else.
for rt in $RUNTIMES; do
	case $rt in
	hako) b=$HAKO ;;
	runc | runc-statx) b=$REF_RUNC ;;
	*) die "unknown runtime $rt (hako, runc or runc-statx)" ;;
	esac
	mkdir -p "$WORK/root-$rt"
	{
		echo '#!/bin/sh'
		if [ "$rt" = runc-statx ]; then
			cat <<'WRAP'
if [ "$1" = create ]; then
	bundle=. prev=
	for a in "$@"; do
		[ "$prev" = --bundle ] && bundle=$a
		prev=$a
	done
	c=$bundle/config.json
	if jq -e '.linux.seccomp != null and ([.linux.seccomp.syscalls[]?.names[]] | index("statx") == null)' "$c" >/dev/null 2>&1; then
		jq -c '.linux.seccomp.syscalls += [{"names": ["statx"], "action": "SCMP_ACT_ALLOW"}]' "$c" >"$c.statx" && mv "$c.statx" "$c"
	fi
fi
WRAP
		fi
		printf 'exec %q --root %q "$@"\n' "$b" "$WORK/root-$rt"
	} >"$WORK/bin/$rt"
	chmod 0755 "$WORK/bin/$rt"
done

# ---- run --------------------------------------------------------------------
progs=()
if [ -n "${CONFORMANCE_ONLY:-}" ]; then
	for p in $CONFORMANCE_ONLY; do
		[ -x "$OUT/bin/$p.t" ] || die "no validation program $p (see $OUT/bin)"
		progs+=("$p")
	done
else
	for f in "$OUT"/bin/*.t; do
		p=${f##*/}
		progs+=("${p%.t}")
	done
fi

mkdir -p "$LOGS"
: >"$RESULTS"

# count LOG RC: "pass fail skip status" from a TAP log and the exit code.
count() {
	awk -v rc="$2" '
	/^ok [0-9]+/ { if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) skip++; else pass++; next }
	/^not ok [0-9]+/ { if ($0 ~ /# *TODO/) skip++; else fail++; next }
	/^ +"error": "[^"]/ { diag++ }
	END {
		st = "ok"
		if (rc == 124 || rc == 137) st = "timeout"
		else if (rc != 0 && fail == 0) st = "error(rc=" rc ")"
		# Several v0.9.0 programs (hooks, prestart, poststart, ...) print
		# no test point at all, only a YAML "error" when they see one.
		else if (pass + fail + skip == 0 && diag > 0) st = "no test points, error reported"
		else if (pass + fail + skip == 0) st = "no test points, no error"
		printf "%d %d %d %s\n", pass, fail, skip, st
	}' "$1"
}


for p in "${progs[@]}"; do
	for rt in $RUNTIMES; do
		logf=$LOGS/$rt.$p.log
		rc=0
		lock
		(
			cd "$WORK/run"
			export RUNTIME="$WORK/bin/$rt" TMPDIR="$WORK/tmp" "$MARK"
			exec timeout -k 5 "$TIMEOUT" "$OUT/bin/$p.t"
		) >"$logf" 2>&1 </dev/null 9>&- || rc=$?
		cleanup_run
		read -r pass fail skip st < <(count "$logf" "$rc")
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$rt" "$pass" "$fail" "$skip" "$st" >>"$RESULTS"
		printf '%-36s %-5s pass %3s fail %3s skip %3s %s\n' "$p" "$rt" "$pass" "$fail" "$skip" "$st" >&2
	done
done
unlock
report
