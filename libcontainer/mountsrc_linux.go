package libcontainer

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/initproc"
	"github.com/hako-runtime/hako/libcontainer/rootfs"
)

// openMountSources opens every bind mount source of mounts as a detached
// mount (open_tree OPEN_TREE_CLONE) with the host's credentials but from
// inside the mount namespace of pid, the only namespace the init may
// attach such a mount in. A new user namespace's root could not reach
// sources under a 0700 directory of the real root (see
// initproc/mountsrc_linux.go).
func openMountSources(pid int, mounts []specs.Mount) ([]int, error) {
	type result struct {
		fds []int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// This thread changes its mount namespace and is never given
		// back to Go: it ends with the goroutine (no UnlockOSThread).
		runtime.LockOSThread()
		fds, err := openSourcesIn(pid, mounts)
		ch <- result{fds, err}
	}()
	r := <-ch
	return r.fds, r.err
}

func openSourcesIn(pid int, mounts []specs.Mount) (fds []int, err error) {
	ns, err := unix.Open(fmt.Sprintf("/proc/%d/ns/mnt", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("mount sources: %w", err)
	}
	defer unix.Close(ns)
	// setns into a mount namespace wants a thread with its own fs struct.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return nil, fmt.Errorf("mount sources: unshare fs: %w", err)
	}
	if err := unix.Setns(ns, unix.CLONE_NEWNS); err != nil {
		return nil, fmt.Errorf("mount sources: join the container's mount namespace: %w", err)
	}
	defer func() {
		if err != nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
			fds = nil
		}
	}()
	for i := range mounts {
		m := &mounts[i]
		if !rootfs.IsBind(m) {
			continue
		}
		flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
		if rootfs.ParseOptions(m.Options).Recursive {
			flags |= unix.AT_RECURSIVE
		}
		fd, err := unix.OpenTree(unix.AT_FDCWD, m.Source, flags)
		if err != nil {
			return fds, fmt.Errorf("mounts[%d].source: open_tree %s: %w", i, m.Source, err)
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

// sendMountSources answers the init's MsgMountSources: the fds with
// SCM_RIGHTS and their count, or the error that stops the init.
func sendMountSources(sock *os.File, pid int, mounts []specs.Mount) error {
	fds, err := openMountSources(pid, mounts)
	reply := initproc.Msg{Type: "ok", Pid: len(fds)}
	if err != nil {
		reply = initproc.Msg{Type: initproc.MsgError, Msg: err.Error()}
	}
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	b, _ := json.Marshal(reply)
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	if serr := unix.Sendmsg(int(sock.Fd()), append(b, '\n'), oob, nil, 0); serr != nil && err == nil {
		err = fmt.Errorf("send mount sources: %w", serr)
	}
	return err
}
