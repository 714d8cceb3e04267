#!/bin/bash
# make demo: a busybox bundle from Debian's busybox-static, a default
# config from `hako spec`, and one container that reports from inside its
# namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=$(mktemp -d /tmp/hako-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
tests/integration/mkbundle.sh "$demo" >/dev/null
(cd "$demo" && "$OLDPWD/hako" spec)
inside='echo "hello from $(hostname): I am pid $$ in my own pid namespace"
echo "network interfaces: $(ls /sys/class/net | tr "\n" " ")"
echo "processes I can see: $(ls -d /proc/[0-9]* | wc -l)"
touch /probe 2>/dev/null && echo "rootfs is writable" || echo "rootfs is read-only"
grep CapEff /proc/self/status'
jq --arg s "$inside" '.process.terminal = false | .process.args = ["sh", "-c", $s]' \
	"$demo/config.json" >"$demo/config.tmp" && mv "$demo/config.tmp" "$demo/config.json"
./hako --root "$demo/state" run -b "$demo" "hako-demo-$$"
