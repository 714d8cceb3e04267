package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"github.com/moby/sys/mountinfo"
	sysuserns "github.com/moby/sys/userns"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/lsm"
)

// Pending is what Prepare leaves for Finish: mounts that stay writable
// while the rootfs is populated and become read-only at the end (tmpfs
// and /dev, as in runc).
type Pending struct {
	readonly []int // attached mounts, by fd
}

// Close releases what p holds.
func (p *Pending) Close() {
	if p == nil {
		return
	}
	for _, fd := range p.readonly {
		unix.Close(fd)
	}
	p.readonly = nil
}

// MakeReadonly makes the mounts p holds read-only, then releases them.
func (p *Pending) MakeReadonly() error {
	if p == nil {
		return nil
	}
	defer p.Close()
	for _, fd := range p.readonly {
		if err := setattr(fd, false, unix.MOUNT_ATTR_RDONLY, 0, 0); err != nil {
			return fmt.Errorf("make mount read-only: %w", err)
		}
	}
	return nil
}

// Prepare runs in the init, in its new mount namespace, before pivot_root:
// it makes the host's mounts invisible to propagation, turns the rootfs
// into a mount point and applies ops, the host's Plan of spec.Mounts.
// mountLabel is the SELinux label for new filesystems ("" = none,
// lsm.MountLabel).
//
// sources, when set, holds for a bind mount's index a detached mount of
// its source already opened by the host (a new user namespace cannot
// always reach it); it is used instead of opening the source path. For a
// proc mount's index it holds a procfs context (fsopen) opened by a
// process in the container's pid namespace, when the mounts are made by
// a host thread (see libcontainer/hostrootfs_linux.go).
//
// initPid is the container's init when a host thread in its namespaces
// prepares its rootfs (its cgroups are read from /proc/<initPid>), 0 when
// the calling process is the init.
func Prepare(s *specs.Spec, ops []MountOp, rootfs string, userns bool, mountLabel string, sources map[int]int, initPid int) (_ *Pending, err error) {
	prop := uintptr(unix.MS_SLAVE | unix.MS_REC)
	if p, ok := propOpts[s.Linux.RootfsPropagation]; ok {
		prop = p
	}
	if err := unix.Mount("", "/", "", prop, ""); err != nil {
		return nil, fmt.Errorf("set propagation of / to %q: %w", s.Linux.RootfsPropagation, err)
	}
	// The mount holding the rootfs must not be shared (pivot_root refuses
	// it, and the bind below would propagate to the host) nor unbindable
	// (the bind would fail): private, or slave when asked, as runc does.
	// Finish applies a shared or unbindable root propagation after
	// pivot_root.
	parentProp := uintptr(unix.MS_PRIVATE)
	if s.Linux.RootfsPropagation != "" && prop&unix.MS_SLAVE != 0 {
		parentProp = unix.MS_SLAVE
	}
	if err := parentPropagation(rootfs, parentProp); err != nil {
		return nil, err
	}
	// pivot_root needs the new root to be a mount point.
	if err := unix.Mount(rootfs, rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return nil, fmt.Errorf("bind mount rootfs %s: %w", rootfs, err)
	}
	return mountAll(s, ops, rootfs, userns, mountLabel, sources, initPid)
}

// mountAll applies ops under rootfs, then populates /dev.
func mountAll(s *specs.Spec, ops []MountOp, rootfs string, userns bool, mountLabel string, sources map[int]int, initPid int) (_ *Pending, err error) {
	// hako itself in a user namespace other than the initial one
	// (rootless podman runs the runtime inside its own) is no host root
	// either: no device nodes to make, no sysfs without owning a network
	// namespace, whether or not the spec asks for a user namespace.
	userns = userns || sysuserns.RunningInUserNS()
	root, err := os.OpenFile(rootfs, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, fmt.Errorf("open rootfs: %w", err)
	}
	defer root.Close()
	p := &Pending{}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	for i := range ops {
		op := &ops[i]
		src := -1
		if fd, ok := sources[op.Index]; ok {
			src = fd
		}
		if err := mountOne(root, op, userns, mountLabel, src, initPid, p); err != nil {
			// The entry's index names the field, as Plan's errors do.
			return nil, fmt.Errorf("mounts[%d]: mount %s to %s (type %q, options %q): %w", op.Index, op.Source, op.Dest, op.Type, op.Raw, err)
		}
	}
	if NeedsDevSetup(s) {
		if err := setupDev(root, s, userns); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// threadMounts lists the mounts of the calling thread's mount namespace,
// which is not the process's when a host thread prepares the rootfs.
func threadMounts(filter mountinfo.FilterFunc) ([]*mountinfo.Info, error) {
	f, err := os.Open("/proc/thread-self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return mountinfo.GetMountsFromReader(f, filter)
}

// parentPropagation sets the propagation of the mount holding rootfs.
func parentPropagation(rootfs string, prop uintptr) error {
	mounts, err := threadMounts(mountinfo.ParentsFilter(rootfs))
	if err != nil {
		return fmt.Errorf("find mount of rootfs: %w", err)
	}
	best := "/"
	for _, m := range mounts {
		if len(m.Mountpoint) > len(best) {
			best = m.Mountpoint
		}
	}
	if err := unix.Mount("", best, "", prop, ""); err != nil {
		return fmt.Errorf("set propagation of %s, the mount holding the rootfs: %w", best, err)
	}
	return nil
}

// mountPoint resolves dest inside root the way runc does for the layouts of
// real images. An existing path is used whatever it is, its symlinks
// (absolute or relative, final one included) followed confined to root;
// the kernel refuses a directory onto a file. A missing one is created, a
// directory or (dir false) an empty file, where its symlinks lead: a
// dangling /etc/resolv.conf -> ../run/x creates /run/x. existed says
// which. The returned handle is what the mount lands on.
func mountPoint(root *os.File, dest string, dir bool) (h *os.File, existed bool, err error) {
	h, err = pathrs.OpenatInRoot(root, dest)
	if err == nil {
		return h, true, nil
	}
	if !errors.Is(err, unix.ENOENT) {
		return nil, false, fmt.Errorf("lookup mountpoint target: %w", err)
	}
	// Where dest's dangling symlinks lead, as a path inside root; only a
	// name to create, resolved again (confined) below.
	full, err := securejoin.SecureJoin(root.Name(), dest)
	if err != nil {
		return nil, false, fmt.Errorf("resolve mountpoint %s: %w", dest, err)
	}
	p := "/"
	if rel, err := filepath.Rel(root.Name(), full); err == nil && rel != "." && !strings.HasPrefix(rel, "../") {
		p += rel
	}
	if dir {
		h, err = pathrs.MkdirAllHandle(root, p, 0o755)
	} else {
		h, err = createFile(root, p)
	}
	if err != nil {
		return nil, false, fmt.Errorf("make mountpoint %q: %w", dest, err)
	}
	return h, false, nil
}

// target is mountPoint for callers that need not know whether dest existed.
func target(root *os.File, dest string, dir bool) (*os.File, error) {
	h, _, err := mountPoint(root, dest, dir)
	return h, err
}

// createFile creates p, a new empty file, inside root.
func createFile(root *os.File, p string) (*os.File, error) {
	if p == "/" {
		return nil, unix.EISDIR
	}
	parent, err := pathrs.MkdirAllHandle(root, path.Dir(p), 0o755)
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	fd, err := unix.Openat(int(parent.Fd()), path.Base(p), unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_RDONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), p), nil
}

// realPath is where h sits, as a path inside rootfs ("/" for the root).
func realPath(rootfs string, h *os.File) (string, error) {
	full, err := procfs.ProcSelfFdReadlink(h)
	if err != nil {
		return "", fmt.Errorf("get mount destination real path: %w", err)
	}
	rel, err := filepath.Rel(rootfs, full)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("mountpoint %q is outside of rootfs %q", full, rootfs)
	}
	return path.Clean("/" + rel), nil
}

// checkTarget applies runc's rules to a resolved mount point: nothing
// over the rootfs itself, and /proc only as runc allows it (checkProc).
func checkTarget(root *os.File, h *os.File, op *MountOp, src int) error {
	p, err := realPath(root.Name(), h)
	if err != nil {
		return err
	}
	if p == "/" {
		return fmt.Errorf("mountpoint %q is on the top of rootfs %q", root.Name(), root.Name())
	}
	if err := checkProc(root.Name(), p, op, src); err != nil {
		return fmt.Errorf("check proc-safety of %s mount: %w", op.Dest, err)
	}
	return nil
}

// procMountable are the files below /proc that may be mounted over: the
// ones lxcfs emulates (runc's list).
var procMountable = []string{
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
	"/proc/swaps", "/proc/uptime", "/proc/loadavg", "/proc/slabinfo",
	"/proc/sys/kernel/ns_last_pid", "/proc/sys/crypto/fips_enabled",
}

// checkProc refuses a mount at p (inside the rootfs, symlinks resolved)
// on /proc unless it is a procfs, and below /proc but for procMountable:
// anything else could hide what masking and read-only paths protect.
func checkProc(rootfs, p string, op *MountOp, src int) error {
	if p != "/proc" && !strings.HasPrefix(p, "/proc/") {
		return nil
	}
	full := filepath.Join(rootfs, p)
	if p == "/proc" {
		if op.Type == "proc" && op.Op != OpBind {
			return nil
		}
		var st unix.Statfs_t
		if src >= 0 && op.Op == OpBind && unix.Fstatfs(src, &st) == nil && st.Type == unix.PROC_SUPER_MAGIC {
			return nil
		}
		return fmt.Errorf("%q cannot be mounted because it is not of type proc", full)
	}
	if slices.Contains(procMountable, p) {
		return nil
	}
	return fmt.Errorf("%q cannot be mounted because it is inside /proc", full)
}

// procTarget is the mount point of a proc or sysfs mount: runc never
// follows a symlink there (a swapped /proc has been an attack), so an
// existing final component must be a plain directory.
func procTarget(root *os.File, op *MountOp) (*os.File, error) {
	dest := op.Dest
	if err := checkProc(root.Name(), dest, op, -1); err != nil {
		return nil, err
	}
	if parent, err := pathrs.OpenatInRoot(root, path.Dir(dest)); err == nil {
		var st unix.Stat_t
		err := unix.Fstatat(int(parent.Fd()), path.Base(dest), &st, unix.AT_SYMLINK_NOFOLLOW)
		parent.Close()
		if err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return nil, fmt.Errorf("filesystem %q must be mounted on ordinary directory", op.Type)
		}
	}
	return pathrs.MkdirAllHandle(root, dest, 0o755)
}

func mountOne(root *os.File, op *MountOp, userns bool, label string, src, initPid int, p *Pending) error {
	o, dest := op.Options, op.Dest
	var t *os.File
	var err error
	data := o.Data
	switch op.Op {
	case OpBind:
		return bindMountFrom(root, src, op, o)
	case OpCgroup:
		return mountCgroup(root, dest, o, label, initPid)
	case OpKernFS:
		t, err = procTarget(root, op)
	default:
		var existed bool
		t, existed, err = mountPoint(root, dest, true)
		if err == nil {
			err = checkTarget(root, t, op, -1)
		}
		if err == nil && existed && op.Type == "tmpfs" {
			// A tmpfs over a directory of the image keeps that
			// directory's mode unless the options say otherwise.
			var st unix.Stat_t
			if err = unix.Fstat(int(t.Fd()), &st); err == nil {
				data = append([]string{fmt.Sprintf("mode=%04o", st.Mode&0o7777)}, data...)
			}
		}
	}
	if err != nil {
		if t != nil {
			t.Close()
		}
		return err
	}
	defer t.Close()
	flags := o.Flags
	// tmpfs and /dev stay writable until Finish: /dev gets its devices
	// and links, and later mounts may need mount points in them.
	if op.DeferRO {
		flags &^= unix.MS_RDONLY
	}
	var mfd int
	if op.NewProcfs() && src >= 0 {
		mfd, err = newFSFrom(src, op.Source, withLabel(op.Type, data, label), flags)
	} else {
		mfd, err = newFS(op.Type, op.Source, withLabel(op.Type, data, label), flags)
	}
	if err != nil {
		if op.Type == "sysfs" && userns && errors.Is(err, unix.EPERM) {
			// sysfs cannot be mounted from a user namespace that does
			// not own the network namespace: use the host's, read-only
			// as far as the options say.
			return bindTree(root, -1, "/sys", t, ParseOptions(append([]string{"rbind"}, op.Raw...)))
		}
		return err
	}
	defer unix.Close(mfd)
	if op.Type == "mqueue" {
		lsm.LabelMount(mfd, label)
	}
	if o.CopyUp && op.Type == "tmpfs" {
		if err := copyUp(int(t.Fd()), mfd); err != nil {
			return fmt.Errorf("tmpcopyup: copy %s: %w", dest, err)
		}
	}
	if err := setattr(mfd, true, o.RecSet, o.RecClr, 0); err != nil {
		return fmt.Errorf("set recursive attributes: %w", err)
	}
	if err := attach(mfd, t); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	if err := propagate(mfd, o); err != nil {
		return err
	}
	if op.DeferRO {
		// mfd now stands for the attached mount; Finish uses it.
		fd, err := unix.FcntlInt(uintptr(mfd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return err
		}
		p.readonly = append(p.readonly, fd)
	}
	return nil
}

// withLabel adds the SELinux context option for fstype to data.
func withLabel(fstype string, data []string, label string) []string {
	if opt, ok := lsm.MountOption(fstype, label); ok {
		return append(append([]string(nil), data...), opt)
	}
	return data
}

func bindMount(root *os.File, source, dest string, o Options) error {
	return bindMountFrom(root, -1, &MountOp{Op: OpBind, Index: -1, Source: source, Dest: dest, Type: "bind"}, o)
}

// bindMountFrom binds op's source at its destination; src >= 0 is a
// detached mount of the source opened by the host, used as is (its owner
// closes it).
func bindMountFrom(root *os.File, src int, op *MountOp, o Options) error {
	if op.Idmap && src < 0 {
		// The host makes idmapped mounts (mountsrc_linux.go).
		return errors.New("idmapped mount source was not opened by the host")
	}
	tree := src
	if tree < 0 {
		var err error
		if tree, err = cloneTree(unix.AT_FDCWD, op.Source, o.Recursive); err != nil {
			return fmt.Errorf("open_tree %s: %w", op.Source, err)
		}
		defer unix.Close(tree)
	}
	var st unix.Stat_t
	if err := unix.Fstat(tree, &st); err != nil {
		return err
	}
	t, err := target(root, op.Dest, st.Mode&unix.S_IFMT == unix.S_IFDIR)
	if err != nil {
		return err
	}
	defer t.Close()
	if err := checkTarget(root, t, op, tree); err != nil {
		return err
	}
	return bindTree(root, tree, op.Source, t, o)
}

// bindTree attaches tree (or, when tree < 0, a clone of source) at t with
// the flags of o.
func bindTree(root *os.File, tree int, source string, t *os.File, o Options) error {
	if tree < 0 {
		var err error
		if tree, err = cloneTree(unix.AT_FDCWD, source, o.Recursive); err != nil {
			return fmt.Errorf("open_tree %s: %w", source, err)
		}
		defer unix.Close(tree)
	}
	if NamesFlags(o) {
		if err := bindFlags(tree, o); err != nil {
			return fmt.Errorf("set user-requested vfs flags on bind-mount: %w", err)
		}
	}
	if err := setattr(tree, true, o.RecSet, o.RecClr, 0); err != nil {
		return fmt.Errorf("set recursive attributes: %w", err)
	}
	if err := attach(tree, t); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return propagate(tree, o)
}

// propagate applies propagation options to mfd, a mount just attached.
func propagate(mfd int, o Options) error {
	for _, p := range o.Propagation {
		if err := setattr(mfd, p&unix.MS_REC != 0, 0, 0, uint64(p&^unix.MS_REC)); err != nil {
			return fmt.Errorf("set propagation: %w", err)
		}
	}
	return nil
}
