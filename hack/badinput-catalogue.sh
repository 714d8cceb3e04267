#!/bin/bash
# badinput-catalogue.sh [RUNTIME]: run `RUNTIME create` on every row of the
# bad-input catalogue (libcontainer/badinput_catalogue_test.go) and print,
# per row, whether the runtime refused it, its first error line, and how
# that compares with the row: "ok", "DIFF" (refused/accepted the other way
# round from the row), "NONAME" (refused without naming the field),
# "LINES" (more than one line on stderr) or "LEFT" (state dir or cgroup
# left behind). Rows that say runc differs are compared with that when
# RUNTIME is runc. Starts containers: run it under the suite lock.
#   flock -o /tmp/hako-suite.lock hack/badinput-catalogue.sh .cache/ref/runc
set -u
cd "$(dirname "$0")/.."
RT=$(realpath "${1:-./hako}")
name=$(basename "$RT")
work=$(mktemp -d /tmp/hako-catalogue.XXXXXX)
chmod 0755 "$work"
trap 'for d in "$work"/b*; do umount -R "$d/rootfs" 2>/dev/null; done; rm -rf "$work"' EXIT

HAKO_CATALOGUE_DIR="$work/rows" go test -count=1 -run '^TestBadInputCatalogue$' ./libcontainer >/dev/null 2>&1
[ -d "$work/rows" ] || {
	echo "no rows written (go test failed to build?)" >&2
	exit 1
}
tests/integration/mkbundle.sh "$work/image" >/dev/null
root=$work/state
bad=0
for row in "$work"/rows/*; do
	n=$(basename "$row")
	b=$work/b$n id=cat$n-$$
	mkdir -p "$b"
	cp -al "$work/image/rootfs" "$b/rootfs"
	cp "$row/config.json" "$b/config.json"
	rname=$(jq -r .name "$row/row.json")
	want=$(jq -r .want "$row/row.json")
	runc=$(jq -r .runc "$row/row.json")
	# want: "" accepted, "?" either, "!" refused (any words), else
	# refused naming it (runc's words are its own: refused is enough).
	if [ "$name" = runc ]; then
		case $runc in
		accepts) want= ;;
		refuses) want='!' ;;
		*) [ -z "$want" ] || [ "$want" = "?" ] || want='!' ;;
		esac
	fi
	timeout 20 "$RT" --root "$root" create --bundle "$b" "$id" </dev/null >"$b/out" 2>"$b/err"
	rc=$?
	first=$(grep -v '^time=.*level=warning' "$b/err" | head -n1)
	lines=$(grep -vc '^time=.*level=warning\|level=warn' "$b/err")
	verdict=ok
	if [ $rc -eq 0 ]; then
		"$RT" --root "$root" delete -f "$id" >/dev/null 2>&1
		[ -z "$want" ] || [ "$want" = "?" ] || verdict=DIFF
	else
		if [ -z "$want" ]; then
			verdict=DIFF
		elif [ "$want" != "?" ] && [ "$want" != "!" ] && ! grep -qF -- "$want" <<<"$first"; then
			verdict=NONAME
		elif [ "$name" != runc ] && [ "$lines" -gt 1 ]; then
			verdict=LINES
		fi
		if [ -e "$root/$id" ] || [ -n "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" 2>/dev/null)" ]; then
			verdict=LEFT
		fi
	fi
	"$RT" --root "$root" delete -f "$id" >/dev/null 2>&1
	[ "$verdict" = ok ] || bad=$((bad + 1))
	printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$verdict" "$rc" "$rname" "${first:0:200}"
	umount -R "$b/rootfs" 2>/dev/null
	rm -rf "$b"
done
echo "# $name: $(ls "$work/rows" | wc -l) rows, $bad not as the catalogue says"
[ $bad -eq 0 ]
