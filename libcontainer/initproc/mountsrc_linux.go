package initproc

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/internal/fdpass"
	"github.com/hako-runtime/hako/libcontainer/rootfs"
)

// In a new user namespace the init resolves host paths with the
// credentials of its mapped root, which cannot traverse a 0700 directory
// of the real root (hako's own state dir, an engine's volume store). So
// the host opens the bind mount sources for it, as detached mounts made in
// the container's mount namespace, and hands them over with SCM_RIGHTS.

// mountSources returns, for each bind mount of s by index, a detached
// mount of its source opened by the host; nil when there is nothing to ask.
func mountSources(sock *os.File, enc *json.Encoder, s *specs.Spec) (map[int]int, error) {
	var idx []int
	for i := range s.Mounts {
		if rootfs.IsBind(&s.Mounts[i]) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil, nil
	}
	if err := enc.Encode(Msg{Type: MsgMountSources}); err != nil {
		return nil, err
	}
	// The reply is read with recvmsg, past the JSON decoder: it holds
	// nothing unread, the host having sent nothing since the config.
	buf := make([]byte, 4096)
	n, fds, err := fdpass.Recv(sock, buf, len(idx))
	if err != nil {
		return nil, fmt.Errorf("receive mount sources: %w", err)
	}
	var reply Msg
	if err := json.Unmarshal(buf[:n], &reply); err != nil {
		closeAll(fds)
		return nil, fmt.Errorf("receive mount sources: %w", err)
	}
	if reply.Type == MsgError {
		closeAll(fds)
		return nil, errors.New(reply.Msg)
	}
	if reply.Pid != len(idx) || len(fds) != len(idx) {
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
