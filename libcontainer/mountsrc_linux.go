package libcontainer

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/internal/fdpass"
	"github.com/hako-runtime/hako/libcontainer/rootfs"
	"github.com/hako-runtime/hako/libcontainer/syncproto"
)

// openMountSources opens every bind mount source of ops as a detached
// mount (open_tree OPEN_TREE_CLONE) with the host's credentials but from
// inside the mount namespace of pid, the only namespace the init may
// attach such a mount in. A new user namespace's root could not reach
// sources under a 0700 directory of the real root (see
// initproc/mountsrc_linux.go).
func openMountSources(pid int, spec *specs.Spec, ops []rootfs.MountOp) ([]int, error) {
	usernsFDs, cleanup, err := idmapUserns(pid, spec)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	type result struct {
		fds []int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// This thread changes its mount namespace and is never given
		// back to Go: it ends with the goroutine (no UnlockOSThread).
		runtime.LockOSThread()
		fds, err := openSourcesIn(pid, ops, usernsFDs)
		ch <- result{fds, err}
	}()
	r := <-ch
	return r.fds, r.err
}

func openSourcesIn(pid int, ops []rootfs.MountOp, userns map[int]int) (fds []int, err error) {
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
	for _, op := range ops {
		if op.Op != rootfs.OpBind {
			continue
		}
		i := op.Index
		flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
		if op.Options.Recursive {
			flags |= unix.AT_RECURSIVE
		}
		fd, err := unix.OpenTree(unix.AT_FDCWD, op.Source, flags)
		if err != nil {
			return fds, fmt.Errorf("mounts[%d].source: open_tree %s: %w", i, op.Source, err)
		}
		fds = append(fds, fd)
		if ns, ok := userns[i]; ok {
			// Only a detached mount can be idmapped; "ridmap" maps the
			// whole tree, "idmap" (or mappings alone) its top.
			at := unix.AT_EMPTY_PATH
			if op.Options.IdmapRec {
				at |= unix.AT_RECURSIVE
			}
			attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(ns)}
			if err := unix.MountSetattr(fd, "", uint(at), attr); err != nil {
				return fds, fmt.Errorf("mounts[%d]: idmap %s: %w", i, op.Source, err)
			}
		}
	}
	return fds, nil
}

// sendMountSources answers the init's mountsrc request: the fds with
// SCM_RIGHTS, or the error that stops the init (also returned).
func sendMountSources(conn *syncproto.Conn, pid int, spec *specs.Spec, ops []rootfs.MountOp) error {
	fds, err := openMountSources(pid, spec, ops)
	defer fdpass.Close(fds)
	if err != nil {
		return conn.Reply(err)
	}
	if err := conn.SendFDs(syncproto.Msg{Type: syncproto.MountSources}, fds); err != nil {
		return fmt.Errorf("send mount sources: %w", err)
	}
	return nil
}

// UsernsHoldArg is the argument with which hako only holds a user
// namespace open until its stdin closes (see idmapUserns).
const UsernsHoldArg = "__userns-hold"

// idmapUserns returns, by mount index, a user namespace fd for each
// idmapped mount: the container's own when the mount has no mappings or
// the container's, else a namespace made for the mount's mappings and
// held by a short-lived hako child (a multithreaded process cannot
// unshare a user namespace itself).
func idmapUserns(pid int, spec *specs.Spec) (map[int]int, func(), error) {
	out := map[int]int{}
	var procs []*exec.Cmd
	var stdins []io.Closer
	cleanup := func() {
		for _, fd := range out {
			unix.Close(fd)
		}
		for _, c := range stdins {
			c.Close()
		}
		for _, p := range procs {
			p.Process.Kill()
			p.Wait()
		}
	}
	fail := func(err error) (map[int]int, func(), error) {
		cleanup()
		return nil, func() {}, err
	}
	for i := range spec.Mounts {
		m := &spec.Mounts[i]
		if idmap, _ := rootfs.Idmapped(m); !idmap {
			continue
		}
		path := fmt.Sprintf("/proc/%d/ns/user", pid)
		if len(m.UIDMappings) > 0 && !(slices.Equal(m.UIDMappings, spec.Linux.UIDMappings) && slices.Equal(m.GIDMappings, spec.Linux.GIDMappings)) {
			self, err := os.Executable()
			if err != nil {
				return fail(err)
			}
			cmd := exec.Command(self, UsernsHoldArg)
			cmd.SysProcAttr = &syscall.SysProcAttr{
				Cloneflags:  unix.CLONE_NEWUSER,
				UidMappings: idMaps(m.UIDMappings),
				GidMappings: idMaps(m.GIDMappings),
			}
			in, err := cmd.StdinPipe()
			if err != nil {
				return fail(err)
			}
			stdins = append(stdins, in)
			if err := cmd.Start(); err != nil {
				return fail(fmt.Errorf("mounts[%d].uidMappings: make a user namespace: %w", i, err))
			}
			procs = append(procs, cmd)
			path = fmt.Sprintf("/proc/%d/ns/user", cmd.Process.Pid)
		}
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fail(fmt.Errorf("mounts[%d]: user namespace for idmap: %w", i, err))
		}
		out[i] = fd
	}
	// The namespaces stay alive through the fds: the holders can go.
	for _, c := range stdins {
		c.Close()
	}
	for _, p := range procs {
		p.Wait()
	}
	stdins, procs = nil, nil
	return out, cleanup, nil
}

func idMaps(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, e := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)}
	}
	return out
}
