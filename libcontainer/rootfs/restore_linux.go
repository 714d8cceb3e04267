package rootfs

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// RestoreMountpoints makes, confined to rootfs, the mount points of ops
// that sit on the rootfs itself, for a CRIU restore to mount on: the
// rootfs given to restore may not be the one the container was created
// on, or a read-only one never had them. Mount points inside another
// mount (a tmpfs, /proc, a volume) are that mount's business: CRIU
// restores a tmpfs with its content, the others exist in their sources.
// A bind mount's point is a file or a directory as its source is.
func RestoreMountpoints(rootfs string, ops []MountOp) error {
	root, err := os.OpenFile(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open rootfs: %w", err)
	}
	defer root.Close()
	for i := range ops {
		op := &ops[i]
		if op.Dest == "/" || underOther(ops, i) {
			continue
		}
		dir := true
		if op.Op == OpBind {
			if st, err := os.Stat(op.Source); err == nil && !st.IsDir() {
				dir = false
			}
		}
		h, err := target(root, op.Dest, dir)
		if err != nil {
			return fmt.Errorf("mounts[%d]: %w", op.Index, err)
		}
		h.Close()
	}
	return nil
}

// underOther says whether ops[i]'s destination is inside another entry's.
func underOther(ops []MountOp, i int) bool {
	for j := range ops {
		if j != i && ops[j].Dest != "/" && strings.HasPrefix(ops[i].Dest, ops[j].Dest+"/") {
			return true
		}
	}
	return false
}
