package libcontainer

import (
	"fmt"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/lsm"
	"github.com/hako-runtime/hako/libcontainer/rootfs"
	"github.com/hako-runtime/hako/libcontainer/trace"
	"github.com/hako-runtime/hako/libcontainer/validate"
)

// A new container's first process is set up by nsenter's C applier, as an
// exec'd one is, and no Go runtime starts in the container. Its rootfs is
// made by the host: a thread of hako that joins the init's mount, network,
// IPC, UTS and cgroup namespaces runs the same rootfs code the Go init
// runs (mounts with targets confined to the rootfs, /dev, pivot_root, the
// cwd, sysctls, masked and read-only paths, hostname). The thread has its
// own fs struct (unshare CLONE_FS) and is never given back to Go's pool:
// it ends with its goroutine. Only a procfs cannot be made there, since
// it takes the pid namespace of whoever opens it: the applier opens one
// context per proc mount and sends them (syncproto.Rootfs).

// appliesInC says whether the container's first process goes the way
// above rather than through the Go init. Not with:
//   - a user namespace, new or joined: the mounts must be made by its
//     root to belong to it;
//   - a mount namespace joined by path, or none (chroot in the host's);
//   - an LSM exec or mount label (libcontainer/lsm's procfs writes, as
//     for exec);
//   - createContainer or startContainer hooks, which the Go init runs
//     from inside the container;
//   - a terminal: /dev/console is bound by the Go init;
//   - --no-pivot;
//   - idmapped mounts, whose sources the host opens for the Go init;
//   - masked or read-only paths under the process-relative parts of
//     /proc (self, thread-self, a pid, and the links into self), which
//     resolve to nothing for a host thread.
func (d *createInit) appliesInC() bool {
	s := d.spec
	p := s.Process
	if p.Terminal || d.o.NoPivot || p.ApparmorProfile != "" || p.SelinuxLabel != "" || lsm.MountLabel(s, lsm.Detect()) != "" {
		return false
	}
	if h := s.Hooks; h != nil && len(h.CreateContainer)+len(h.StartContainer) > 0 {
		return false
	}
	if validate.HasNamespace(s, specs.UserNamespace) || rootfs.HasIdmap(s) {
		return false
	}
	mountNS := false
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.MountNamespace {
			mountNS = ns.Path == ""
		}
	}
	if !mountNS {
		return false
	}
	for _, l := range [][]string{s.Linux.MaskedPaths, s.Linux.ReadonlyPaths} {
		for _, p := range l {
			if procRelative(p) {
				return false
			}
		}
	}
	return true
}

// procRelative says whether p lies under a part of /proc that depends on
// who looks.
func procRelative(p string) bool {
	rest, ok := strings.CutPrefix(path.Clean("/"+p), "/proc/")
	if !ok {
		return false
	}
	first, _, _ := strings.Cut(rest, "/")
	switch first {
	case "self", "thread-self", "mounts", "net":
		return true
	}
	_, err := strconv.Atoi(first)
	return err == nil
}

// procMounts counts the proc mounts of the plan: the applier opens one
// procfs context for each, in this order.
func procMounts(ops []rootfs.MountOp) int {
	n := 0
	for i := range ops {
		if ops[i].NewProcfs() {
			n++
		}
	}
	return n
}

// hostRootfs makes the rootfs of the init at pid from a host thread in
// its namespaces, with procFDs the applier's procfs contexts. Between the
// mounts and pivot_root, the host's hook step runs on the calling
// goroutine (its children must not start in the container's namespaces).
func (d *createInit) hostRootfs(pid int, procFDs []int) error {
	if len(procFDs) != procMounts(d.mounts) {
		return fmt.Errorf("rootfs: %d procfs contexts for %d proc mounts", len(procFDs), procMounts(d.mounts))
	}
	sources := map[int]int{}
	k := 0
	for i := range d.mounts {
		if d.mounts[i].NewProcfs() {
			sources[d.mounts[i].Index] = procFDs[k]
			k++
		}
	}
	// Opened before any setns: the paths are the host's.
	var nsFDs []int
	defer func() {
		for _, fd := range nsFDs {
			unix.Close(fd)
		}
	}()
	var flags []int
	for _, ns := range []struct {
		name string
		flag int
	}{{"net", unix.CLONE_NEWNET}, {"ipc", unix.CLONE_NEWIPC}, {"uts", unix.CLONE_NEWUTS}, {"cgroup", unix.CLONE_NEWCGROUP}, {"mnt", unix.CLONE_NEWNS}} {
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/%s", pid, ns.name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("rootfs: open the init's %s namespace: %w", ns.name, err)
		}
		// One the init shares with hako is not joined: setns asks for
		// CAP_SYS_ADMIN over its owner even when it changes nothing, and
		// root in a user namespace (rootless podman) has none over the
		// host's.
		if sameNamespace(fd, ns.name) {
			unix.Close(fd)
			continue
		}
		nsFDs = append(nsFDs, fd)
		flags = append(flags, ns.flag)
	}
	mounted := make(chan error, 1)
	goOn := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		// Never unlocked: the thread leaves Go's pool with this goroutine.
		runtime.LockOSThread()
		done <- d.rootfsThread(nsFDs, flags, sources, mounted, goOn)
	}()
	// The thread's failures are the container process's, worded as the
	// Go init's would be; the hook step's are the host's own.
	if err := <-mounted; err != nil {
		<-done
		return d.initError(err)
	}
	trace.Mark("rootfs: mounts made")
	// The cgroup's limits and the prestart and createRuntime hooks, as
	// the Go init's "hooks" request has them done.
	herr := d.hooksStep()
	goOn <- herr
	if err := <-done; err != nil && herr == nil {
		return d.initError(err)
	}
	return herr
}

// rootfsThread is the thread's part of hostRootfs; it reports on mounted
// once the mounts are made, then waits on goOn for the hooks.
func (d *createInit) rootfsThread(nsFDs, flags []int, sources map[int]int, mounted, goOn chan error) error {
	fail := func(err error) error {
		mounted <- err
		return err
	}
	// setns into a mount namespace wants a thread with its own fs struct.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fail(fmt.Errorf("rootfs: unshare fs: %w", err))
	}
	for i, fd := range nsFDs {
		if err := unix.Setns(fd, flags[i]); err != nil {
			return fail(fmt.Errorf("rootfs: join the init's %s: %w", nsName(flags[i]), err))
		}
	}
	s := d.spec
	pending, err := rootfs.Prepare(s, d.mounts, d.c.st.Rootfs, false, "", sources, d.initPid)
	if err != nil {
		return fail(err)
	}
	defer pending.Close()
	mounted <- nil
	if err := <-goOn; err != nil {
		return err
	}
	if err := rootfs.PivotRoot(d.c.st.Rootfs); err != nil {
		return err
	}
	// Made as root and before the root goes read-only, as the Go init
	// does; the applier enters it.
	if err := os.MkdirAll(s.Process.Cwd, 0o755); err != nil {
		return fmt.Errorf("process.cwd %s: %w", s.Process.Cwd, err)
	}
	if err := rootfs.SetKernelNames(s); err != nil {
		return err
	}
	return rootfs.Finish(s, "", pending)
}

// sameNamespace says the namespace open at fd is hako's own of that type.
func sameNamespace(fd int, name string) bool {
	var a, b unix.Stat_t
	if unix.Fstat(fd, &a) != nil || unix.Stat("/proc/thread-self/ns/"+name, &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

func nsName(flag int) string {
	switch flag {
	case unix.CLONE_NEWNET:
		return "network namespace"
	case unix.CLONE_NEWIPC:
		return "ipc namespace"
	case unix.CLONE_NEWUTS:
		return "uts namespace"
	case unix.CLONE_NEWCGROUP:
		return "cgroup namespace"
	case unix.CLONE_NEWNS:
		return "mount namespace"
	}
	return fmt.Sprintf("namespace %#x", flag)
}
