package initproc

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/rootfs"
	"github.com/hako-runtime/hako/libcontainer/syncproto"
)

// In a new user namespace the init resolves host paths with the
// credentials of its mapped root, which cannot traverse a 0700 directory
// of the real root (hako's own state dir, an engine's volume store). So
// the host opens the bind mount sources for it, as detached mounts made in
// the container's mount namespace, and hands them over with SCM_RIGHTS.

// mountSources returns, for each bind mount of ops by spec index, a
// detached mount of its source opened by the host (in the order of ops,
// as the host opens them); nil when there is nothing to ask.
func mountSources(conn *syncproto.Conn, ops []rootfs.MountOp) (map[int]int, error) {
	var idx []int
	for _, op := range ops {
		if op.Op == rootfs.OpBind {
			idx = append(idx, op.Index)
		}
	}
	if len(idx) == 0 {
		return nil, nil
	}
	if err := conn.Send(syncproto.Msg{Type: syncproto.MountSources}); err != nil {
		return nil, err
	}
	m, fds, err := conn.RecvFDs(len(idx))
	if err != nil {
		if m.Type == syncproto.Error {
			return nil, err // the host's own text
		}
		return nil, fmt.Errorf("receive mount sources: %w", err)
	}
	if len(fds) != len(idx) {
		closeAll(fds)
		return nil, fmt.Errorf("receive mount sources: want %d fds, got %d", len(idx), len(fds))
	}
	out := make(map[int]int, len(idx))
	for k, i := range idx {
		out[i] = fds[k]
	}
	return out, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
