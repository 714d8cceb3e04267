#!/bin/bash
# AppArmor confinement of container processes, in a vm-run guest (Debian
# kernel, AppArmor enabled by default; this host has no LSM). Loads a test
# profile with apparmor_parser (package apparmor on the host, seen by the
# guest through its read-only view of /) and checks, as TAP lines:
# process.apparmorProfile and exec --apparmor confine the process (its
# /proc/self/attr/current, a denied write and read), an exec without the
# flag keeps the container's profile, a profile that is not loaded is a
# clear error, and a bundle that bind-mounts a file over the init's
# /proc/1/{task/1/,}attr/{apparmor/,}exec neither receives the write nor escapes.
# Builds ./hako on the host first. Environment: VM_RUN (path of vm-run).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 1

if [ "${1:-}" != --guest ]; then
	make -s build || exit 1
	exec "${VM_RUN:-$repo/../shared/tools/vm-run}" --timeout 900 -- "$repo/tests/vm/apparmor.sh" --guest
fi

# --- in the guest -----------------------------------------------------------
hako="$repo/hako --root /tmp/aa/state"
. "$repo/tests/vm/tap.bash"

if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
	notok "AppArmor is enabled in the guest kernel" "$(cat /proc/cmdline)"
	exit 1
fi
mountpoint -q /sys/kernel/security || mount -t securityfs securityfs /sys/kernel/security || exit 1

mkdir -p /tmp/aa && cd /tmp/aa || exit 1
cat >profile <<'P'
profile hako-test flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  mount,
  umount,
  pivot_root,
  deny /tmp/** w,
  deny /secret r,
}
P
apparmor_parser --skip-cache -r profile || { notok "load the test profile"; exit 1; }

"$repo/tests/integration/mkbundle.sh" /tmp/aa/b >/dev/null || exit 1
echo the-secret >b/rootfs/secret
(cd b && rm -f config.json && $repo/hako spec) || exit 1
# A cgroup namespace: without one, hako's cgroup mount clones a subtree of
# a detached mount, which this 6.1 guest kernel refuses (EINVAL).
jq '.process.terminal = false | .root.readonly = false | .linux.namespaces += [{"type": "cgroup"}]' \
	b/config.json >base.json
# probe: what the container sees of its own confinement.
probe='cat /proc/self/attr/current; { echo x >/tmp/f; } 2>/dev/null && echo tmp-writable || echo tmp-denied
cat /secret 2>/dev/null || echo secret-denied; echo x >/root/f && echo root-writable'
# config [JQ-OPTIONS] JQ: base.json edited, as b/config.json.
config() { jq "$@" base.json >b/config.json; }
confined=$(printf 'hako-test (enforce)\ntmp-denied\nsecret-denied\nroot-writable')
free=$(printf 'unconfined\ntmp-writable\nthe-secret\nroot-writable')

config --arg p "$probe" '.process.args = ["sh", "-c", $p] | .process.apparmorProfile = "hako-test"'
check "process.apparmorProfile confines the container process" "$confined" "$($hako run --bundle b c1 2>&1)"

config --arg p "$probe" '.process.args = ["sh", "-c", $p]'
check "without a profile the same process is unconfined (control)" "$free" "$($hako run --bundle b c2 2>&1)"

config '.process.args = ["sleep", "600"]'
$hako run -d --bundle b c3 >/dev/null 2>&1 </dev/null
check "exec --apparmor confines the exec'd process" "$confined" "$($hako exec --apparmor hako-test c3 sh -c "$probe" 2>&1)"
check "exec without --apparmor into an unconfined container stays unconfined" "$free" "$($hako exec c3 sh -c "$probe" 2>&1)"
$hako delete -f c3

config '.process.args = ["sleep", "600"] | .process.apparmorProfile = "hako-test"'
$hako run -d --bundle b c4 >/dev/null 2>&1 </dev/null
check "exec without --apparmor keeps the container's profile" "$confined" "$($hako exec c4 sh -c "$probe" 2>&1)"
echo '{"args": ["cat", "/proc/self/attr/current"], "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}, "apparmorProfile": "unconfined"}' >proc.json
check "exec --process takes its own apparmorProfile" "unconfined" "$($hako exec --process proc.json c4 2>&1)"
$hako delete -f c4

config '.process.args = ["true"] | .process.apparmorProfile = "hako-missing"'
out=$($hako run --bundle b c5 2>&1)
st=$?
if [ $st -ne 0 ] && [[ "$out" == *'process.apparmorProfile: profile \"hako-missing\" is not loaded'* ]] &&
	[ -z "$($hako list -q)" ]; then
	ok "a profile that is not loaded: a clear error, nothing left"
else
	notok "a profile that is not loaded: a clear error, nothing left" "status $st: $out" "left: $($hako list -q)"
fi

# The bundle puts a host file over the init's attr files in the container's
# /proc (the init is pid 1 of the new pid namespace and runs on its main
# thread, so /proc/thread-self is /proc/1/task/1 there). A writer going
# through that /proc would write "exec hako-test" into the host file and
# leave the container unconfined.
: >decoy
config --arg p "$probe" --arg d "$PWD/decoy" '.process.args = ["sh", "-c", "grep -c attr/ /proc/self/mountinfo; " + $p]
	| .process.apparmorProfile = "hako-test"
	| .mounts += ([
		"/proc/1/attr/apparmor/exec", "/proc/1/attr/exec",
		"/proc/1/task/1/attr/apparmor/exec", "/proc/1/task/1/attr/exec"
	] | map({"destination": ., "type": "bind", "source": $d, "options": ["bind"]}))'
# Since runc's proc-safety rule (nothing mounted inside /proc but the
# lxcfs files) the bundle is refused at mount time; the writer's own
# defence is covered by libcontainer/lsm's TestWriteAttrIgnoresOvermount.
check "an over-mounted /proc/1/{task/1/,}attr/exec is refused and receives nothing" \
	"$(printf 'refused\ndecoy: 0 bytes')" "$(out=$($hako run --bundle b c6 2>&1); case $out in *"inside /proc"*) echo refused ;; *) echo "$out" ;; esac; echo "decoy: $(stat -c %s decoy) bytes")"

left=$($hako list -q)
check "no container left" "" "$left"
for id in $left; do $hako delete -f "$id"; done
echo "1..$n"
exit $rc
