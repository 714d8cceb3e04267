#!/bin/sh
# mkbundle.sh DIR: make DIR/rootfs, a minimal busybox root filesystem built
# from Debian's busybox-static. It never writes DIR/config.json (use
# `<runtime> spec -b DIR` for that).
#
# Idempotent and fast: a second call on the same DIR only fixes what is missing.
# BUSYBOX may point at another static busybox binary.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi

BUSYBOX=${BUSYBOX:-/bin/busybox}
if [ ! -x "$BUSYBOX" ]; then
	echo "$0: $BUSYBOX not found; install it with: apt-get install -y busybox-static" >&2
	exit 1
fi
# A dynamically linked busybox would need its libraries inside the rootfs.
if command -v file >/dev/null 2>&1 && ! file -L "$BUSYBOX" | grep -q 'statically linked'; then
	echo "$0: $BUSYBOX is not statically linked (install busybox-static)" >&2
	exit 1
fi

rootfs=$1/rootfs
mkdir -p "$rootfs"
cd "$rootfs"

for d in bin proc sys dev tmp etc root; do
	[ -d "$d" ] || mkdir -p "$d"
done
chmod 1777 tmp
chmod 0700 root

# The binary: copy only when missing or different, so a rerun is cheap.
if ! cmp -s "$BUSYBOX" bin/busybox 2>/dev/null; then
	rm -f bin/busybox
	cp "$BUSYBOX" bin/busybox
	chmod 0755 bin/busybox
fi

# One symlink per applet (busybox --list prints bare names).
"$BUSYBOX" --list | while IFS= read -r applet; do
	case "$applet" in
	'' | busybox | */*) continue ;;
	esac
	[ -L "bin/$applet" ] || ln -sf busybox "bin/$applet"
done
# sh is what most configs (and `spec`) start; make sure it is there.
[ -e bin/sh ] || ln -sf busybox bin/sh

write_file() { # path content: rewrite only when it differs
	if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then
		printf '%s\n' "$2" >"$1"
	fi
}

write_file etc/passwd 'root:x:0:0:root:/root:/bin/sh
hako:x:1000:1000:hako:/home/hako:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false'
write_file etc/group 'root:x:0:
tty:x:5:
users:x:100:hako
hako:x:1000:hako
nogroup:x:65534:'
