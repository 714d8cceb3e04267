package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/moby/sys/userns"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups"
	"github.com/hako-runtime/hako/libcontainer"
	"github.com/hako-runtime/hako/seccomp"
)

// Facts is what Gather found, raw; Evaluate judges it. Errors are the
// probes' own (nil: it worked). Tests fill it by hand.
type Facts struct {
	Kernel  string // uname release
	Machine string // uname machine

	EUID     int
	InUserNS bool   // not the initial user namespace
	User     string // the caller's name, for /etc/subuid ("" unknown)
	// Namespaces: /proc/self/ns/<type> exists, by runtime-spec type name.
	Namespaces map[string]bool

	CgroupRoot string // /sys/fs/cgroup
	CgroupMode cgroups.Mode
	// V1 maps v1 controllers (and name=systemd) to their mounts.
	V1 map[string]string
	// V2Mount is where cgroup2 is mounted ("" none).
	V2Mount string
	// V2Own is the caller's own v2 cgroup directory, V2Parent the one
	// below which hako makes a container's cgroup for the default,
	// relative cgroupsPath (the parent of V2Own).
	V2Own, V2Parent string
	// V2Controllers, V2Subtree: cgroup.controllers and
	// cgroup.subtree_control of V2Parent.
	V2Controllers, V2Subtree []string
	V2Freeze                 bool // cgroup.freeze exists at V2Own (v2 freezer, 5.2)

	PID1           string // /proc/1/comm
	SystemdBooted  bool   // /run/systemd/system is a directory (sd_booted)
	SystemBus      string // system socket that accepted a connection ("" none)
	UserBus        string // the caller's user bus or systemd private socket ("" none)
	XDGRuntimeDir  string
	UsernsErr      error // making a user namespace with the caller's own id mapped
	UsernsProbed   bool
	UnprivClone    int // kernel.unprivileged_userns_clone, -1 absent
	MaxUserNS      int // user.max_user_namespaces, -1 absent
	AppArmorUserns int // kernel.apparmor_restrict_unprivileged_userns, -1 absent
	NewUIDMap      Helper
	NewGIDMap      Helper
	SubUID, SubGID []string // "start:count" ranges of User; nil: none
	SubErr         error    // /etc/subuid or /etc/subgid unreadable

	IdmapProbed bool
	IdmapSkip   string // why it was not probed
	IdmapTmpfs  error
	IdmapRootFS string // file system type of /
	IdmapRoot   error

	Filesystems map[string]bool // /proc/filesystems

	PidfdErr       error
	Clone3Err      error
	IntoCgroupErr  error
	IntoCgroupSkip string // why it was not probed

	SeccompErr       error // no seccomp filter mode in the kernel
	SeccompMode      int   // /proc/self/status Seccomp: 2 = hako itself is filtered
	SeccompLib       string
	SeccompKnown     []string
	SeccompSupported []string
	// SeccompListener: the kernel knows NEW_LISTENER with TSYNC_ESRCH, what
	// a profile with SCMP_ACT_NOTIFY needs (seccomp/compile.go).
	SeccompListener bool

	AppArmor string // /sys/module/apparmor/parameters/enabled ("" absent)
	SELinux  int    // /sys/fs/selinux/enforce, -1 absent

	ExeMethod     string
	ExeOverlayErr error
	ExeErr        error

	CriuPath    string
	CriuVersion int
	CriuErr     error

	Root         string
	RootExists   bool
	RootDir      string // Root, or the nearest existing ancestor where it would be made
	RootWritable error
	RootFS       string // file system type of RootDir
}

// Helper is newuidmap or newgidmap.
type Helper struct {
	Path     string // "" not found
	Setuid   bool   // root-owned with the setuid bit
	FileCaps bool   // security.capability xattr (some distributions use it instead)
	// Unmapped: setuid, but its owner has no id in this user namespace
	// (the overflow uid), so the kernel ignores the bit here.
	Unmapped bool
}

// probeTimeout bounds each probe that runs another program.
const probeTimeout = 3 * time.Second

// Gather runs the probes. Each is quick and undoes what it does.
func Gather(opts Options) *Facts {
	f := &Facts{
		EUID:           os.Geteuid(),
		InUserNS:       userns.RunningInUserNS(),
		CgroupRoot:     cgroups.DefaultRoot,
		XDGRuntimeDir:  os.Getenv("XDG_RUNTIME_DIR"),
		UnprivClone:    readInt("/proc/sys/kernel/unprivileged_userns_clone"),
		MaxUserNS:      readInt("/proc/sys/user/max_user_namespaces"),
		AppArmorUserns: readInt("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
		SELinux:        readInt("/sys/fs/selinux/enforce"),
		Root:           opts.Root,
	}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		f.Kernel, f.Machine = unix.ByteSliceToString(uts.Release[:]), unix.ByteSliceToString(uts.Machine[:])
	}
	if u, err := user.LookupId(strconv.Itoa(os.Getuid())); err == nil {
		f.User = u.Username
	}
	f.Namespaces = map[string]bool{}
	for spec, proc := range map[string]string{"cgroup": "cgroup", "ipc": "ipc", "mount": "mnt", "network": "net", "pid": "pid", "time": "time", "user": "user", "uts": "uts"} {
		_, err := os.Lstat("/proc/self/ns/" + proc)
		f.Namespaces[spec] = err == nil
	}
	f.Filesystems = readFilesystems()
	f.gatherCgroups()
	f.gatherSystemd()
	f.gatherUserns(opts)
	f.gatherProcess(opts)
	f.gatherSecurity(opts)
	f.gatherCriu(opts)
	f.gatherRoot()
	return f
}

func readInt(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return n
}

func readFilesystems() map[string]bool {
	m := map[string]bool{}
	b, _ := os.ReadFile("/proc/filesystems")
	for _, l := range strings.Split(string(b), "\n") {
		if fs := strings.Fields(l); len(fs) > 0 {
			m[fs[len(fs)-1]] = true
		}
	}
	return m
}

func (f *Facts) gatherCgroups() {
	f.CgroupMode = cgroups.DetectMode(f.CgroupRoot)
	f.V1 = cgroups.V1Mounts(f.CgroupRoot)
	delete(f.V1, "")
	switch f.CgroupMode {
	case cgroups.Unified:
		f.V2Mount = f.CgroupRoot
	case cgroups.Hybrid, cgroups.Legacy:
		if _, err := os.Stat(filepath.Join(f.CgroupRoot, "unified", "cgroup.controllers")); err == nil {
			f.V2Mount = filepath.Join(f.CgroupRoot, "unified")
		}
	}
	if f.V2Mount == "" {
		return
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return
	}
	own := cgroups.ParseProcCgroup(string(b))[""]
	if own == "" {
		return
	}
	f.V2Own = filepath.Join(f.V2Mount, filepath.Clean("/"+own))
	f.V2Parent = f.V2Own
	if f.V2Own != f.V2Mount {
		f.V2Parent = filepath.Dir(f.V2Own)
	}
	f.V2Controllers = readWords(filepath.Join(f.V2Parent, "cgroup.controllers"))
	f.V2Subtree = readWords(filepath.Join(f.V2Parent, "cgroup.subtree_control"))
	_, err = os.Stat(filepath.Join(f.V2Own, "cgroup.freeze"))
	f.V2Freeze = err == nil
}

func readWords(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}

func (f *Facts) gatherSystemd() {
	if b, err := os.ReadFile("/proc/1/comm"); err == nil {
		f.PID1 = strings.TrimSpace(string(b))
	}
	fi, err := os.Stat("/run/systemd/system")
	f.SystemdBooted = err == nil && fi.IsDir()
	// What go-systemd's system connection tries, in its order; a connect
	// (no message) tells a live socket from a stale file.
	for _, s := range []string{"/run/systemd/private", "/run/dbus/system_bus_socket"} {
		if dial(s) {
			f.SystemBus = s
			break
		}
	}
	if f.XDGRuntimeDir != "" {
		for _, s := range []string{filepath.Join(f.XDGRuntimeDir, "bus"), filepath.Join(f.XDGRuntimeDir, "systemd", "private")} {
			if dial(s) {
				f.UserBus = s
				break
			}
		}
	}
}

func dial(path string) bool {
	c, err := net.DialTimeout("unix", path, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func (f *Facts) gatherUserns(opts Options) {
	f.NewUIDMap = findHelper("newuidmap")
	f.NewGIDMap = findHelper("newgidmap")
	if f.User != "" && f.EUID != 0 {
		var err1, err2 error
		f.SubUID, err1 = subIDs("/etc/subuid", f.User, os.Getuid())
		f.SubGID, err2 = subIDs("/etc/subgid", f.User, os.Getgid())
		f.SubErr = errors.Join(err1, err2)
	}
	if !f.Namespaces["user"] {
		f.UsernsErr = errors.New("the kernel has no user namespaces (/proc/self/ns/user missing)")
		f.IdmapSkip = "no user namespaces"
		return
	}
	self := opts.Self
	if self == "" {
		var err error
		if self, err = os.Executable(); err != nil {
			f.UsernsErr = err
			return
		}
	}
	f.UsernsProbed = true
	// A child of ours in a new user namespace with only our own ids
	// mapped: what an unprivileged user can always ask for. It holds the
	// namespace until its stdin closes (libcontainer.UsernsHoldArg).
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, libcontainer.UsernsHoldArg)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}},
		Pdeathsig:   unix.SIGKILL,
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		f.UsernsErr = err
		return
	}
	if err := cmd.Start(); err != nil {
		in.Close()
		f.UsernsErr = err
		f.IdmapSkip = "no user namespace could be made"
		return
	}
	defer func() {
		in.Close()
		cmd.Wait()
	}()
	ns, err := unix.Open(fmt.Sprintf("/proc/%d/ns/user", cmd.Process.Pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		f.UsernsErr = err
		return
	}
	defer unix.Close(ns)
	f.probeIdmap(ns)
}

// probeIdmap idmaps two detached mounts, which vanish when their fd is
// closed: a new tmpfs (idmap support in tmpfs: 6.3) and a clone of the
// mount at / (the file system a bundle usually lives on). Both need
// CAP_SYS_ADMIN over our mount namespace.
func (f *Facts) probeIdmap(ns int) {
	if f.EUID != 0 || f.InUserNS {
		f.IdmapSkip = "needs root in the initial user namespace to check"
		return
	}
	f.IdmapProbed = true
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(ns)}
	f.IdmapTmpfs = func() error {
		ctx, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
		if err != nil {
			return fmt.Errorf("fsopen: %w", err)
		}
		defer unix.Close(ctx)
		if err := unix.FsconfigCreate(ctx); err != nil {
			return fmt.Errorf("fsconfig: %w", err)
		}
		mnt, err := unix.Fsmount(ctx, unix.FSMOUNT_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("fsmount: %w", err)
		}
		defer unix.Close(mnt)
		if err := unix.MountSetattr(mnt, "", unix.AT_EMPTY_PATH, attr); err != nil {
			return fmt.Errorf("mount_setattr: %w", err)
		}
		return nil
	}()
	f.IdmapRootFS = fsType("/")
	f.IdmapRoot = func() error {
		mnt, err := unix.OpenTree(unix.AT_FDCWD, "/", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		if err != nil {
			return fmt.Errorf("open_tree: %w", err)
		}
		defer unix.Close(mnt)
		if err := unix.MountSetattr(mnt, "", unix.AT_EMPTY_PATH, attr); err != nil {
			return fmt.Errorf("mount_setattr: %w", err)
		}
		return nil
	}()
}

func findHelper(name string) Helper {
	p, err := exec.LookPath(name)
	if err != nil {
		return Helper{}
	}
	h := Helper{Path: p}
	var st unix.Stat_t
	if unix.Stat(p, &st) == nil {
		h.Setuid = st.Uid == 0 && st.Mode&unix.S_ISUID != 0
		h.Unmapped = st.Mode&unix.S_ISUID != 0 && st.Uid != 0 && int(st.Uid) == readInt("/proc/sys/kernel/overflowuid")
	}
	if sz, err := unix.Getxattr(p, "security.capability", nil); err == nil && sz > 0 {
		h.FileCaps = true
	}
	return h
}

// subIDs returns the "start:count" ranges of /etc/subuid (or subgid) that
// belong to the user, by name or number, as shadow's tools match them.
func subIDs(path, name string, id int) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		p := strings.Split(strings.TrimSpace(l), ":")
		if len(p) == 3 && (p[0] == name || p[0] == strconv.Itoa(id)) {
			out = append(out, p[1]+":"+p[2])
		}
	}
	return out, nil
}

// fsType names the file system at path from statfs's magic number.
func fsType(path string) string {
	var st unix.Statfs_t
	if unix.Statfs(path, &st) != nil {
		return "unknown"
	}
	if n, ok := fsMagic[int64(st.Type)]; ok {
		return n
	}
	return fmt.Sprintf("0x%x", st.Type)
}

var fsMagic = map[int64]string{
	unix.TMPFS_MAGIC: "tmpfs", unix.EXT4_SUPER_MAGIC: "ext4", unix.XFS_SUPER_MAGIC: "xfs",
	unix.BTRFS_SUPER_MAGIC: "btrfs", unix.OVERLAYFS_SUPER_MAGIC: "overlay", unix.NFS_SUPER_MAGIC: "nfs",
	0x2fc12fc1: "zfs", unix.F2FS_SUPER_MAGIC: "f2fs", unix.V9FS_MAGIC: "9p",
	unix.FUSE_SUPER_MAGIC: "fuse", unix.RAMFS_MAGIC: "ramfs", unix.SQUASHFS_MAGIC: "squashfs",
}

func (f *Facts) gatherProcess(opts Options) {
	if fd, err := unix.PidfdOpen(os.Getpid(), 0); err != nil {
		f.PidfdErr = fmt.Errorf("pidfd_open: %w", err)
	} else {
		unix.Close(fd)
	}
	// clone3 with no arguments: EINVAL when the kernel has it, ENOSYS
	// when it has not (or a seccomp filter, such as a container engine's
	// default profile, pretends so).
	if _, _, errno := unix.Syscall(unix.SYS_CLONE3, 0, 0, 0); errno != unix.EINVAL {
		f.Clone3Err = fmt.Errorf("clone3: %w", errno)
	}
	switch {
	case f.Clone3Err != nil:
		f.IntoCgroupSkip = "no clone3"
	case f.V2Own == "":
		f.IntoCgroupSkip = "no cgroup v2 mount"
	default:
		f.IntoCgroupErr = cloneIntoOwnCgroup(opts, f.V2Own)
	}
}

// cloneIntoOwnCgroup clones a child that exits at once into our own v2
// cgroup (where it would be anyway): CLONE_INTO_CGROUP, Linux 5.7. It
// takes write access to that cgroup's cgroup.procs.
func cloneIntoOwnCgroup(opts Options, dir string) error {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	self := opts.Self
	if self == "" {
		if self, err = os.Executable(); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, libcontainer.UsernsHoldArg)
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd, Pdeathsig: unix.SIGKILL}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		// Go reports the clone's errno as fork/exec's.
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("clone3 into %s: %w", dir, err)
	}
	return cmd.Wait()
}

func (f *Facts) gatherSecurity(opts Options) {
	// PR_GET_SECCOMP is EINVAL without CONFIG_SECCOMP; the filter mode
	// (CONFIG_SECCOMP_FILTER) answers SECCOMP_GET_ACTION_AVAIL.
	if _, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err != nil {
		f.SeccompErr = fmt.Errorf("prctl(PR_GET_SECCOMP): %w", err)
	} else {
		act := uint32(unix.SECCOMP_RET_ALLOW)
		if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&act))); errno != 0 {
			f.SeccompErr = fmt.Errorf("seccomp(SECCOMP_GET_ACTION_AVAIL): %w", errno)
		}
	}
	f.SeccompMode = statusField("Seccomp")
	f.SeccompLib = seccomp.LibraryVersion()
	f.SeccompKnown = seccomp.KnownFlags()
	f.SeccompSupported = seccomp.SupportedFlags()
	f.SeccompListener = seccomp.KernelAcceptsFlags(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH)
	if b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled"); err == nil {
		f.AppArmor = strings.TrimSpace(string(b))
	}
	f.ExeMethod, f.ExeOverlayErr, f.ExeErr = libcontainer.ExeGuard(opts.Root)
}

// statusField reads a number from /proc/self/status, -1 when absent.
func statusField(name string) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return n
			}
		}
	}
	return -1
}

func (f *Facts) gatherCriu(opts Options) {
	type res struct {
		path string
		v    int
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		p, v, err := libcontainer.CriuVersion(opts.Criu)
		ch <- res{p, v, err}
	}()
	select {
	case r := <-ch:
		f.CriuPath, f.CriuVersion, f.CriuErr = r.path, r.v, r.err
	case <-time.After(probeTimeout):
		f.CriuErr = fmt.Errorf("criu %s: no version within %s", opts.Criu, probeTimeout)
	}
	if f.CriuErr != nil && f.CriuPath == "" {
		name := opts.Criu
		if name == "" {
			name = "criu"
		}
		f.CriuPath, _ = exec.LookPath(name)
	}
}

func (f *Facts) gatherRoot() {
	if f.Root == "" {
		return
	}
	// create makes the root and its parents: what matters is the nearest
	// path that exists, which must be a directory.
	dir := filepath.Clean(f.Root)
	fi, err := os.Stat(dir)
	for err != nil && dir != "/" {
		dir = filepath.Dir(dir)
		fi, err = os.Stat(dir)
	}
	f.RootExists = dir == filepath.Clean(f.Root) && err == nil && fi.IsDir()
	f.RootDir = dir
	f.RootFS = fsType(dir)
	if err == nil && !fi.IsDir() {
		f.RootWritable = fmt.Errorf("%s: %w", dir, unix.ENOTDIR)
	} else if err := unix.Faccessat(unix.AT_FDCWD, dir, unix.W_OK|unix.X_OK, unix.AT_EACCESS); err != nil {
		f.RootWritable = fmt.Errorf("%s: %w", dir, err)
	} else if readOnlyMount(dir) {
		f.RootWritable = fmt.Errorf("%s: %w", dir, unix.EROFS)
	}
}

func readOnlyMount(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Flags&unix.ST_RDONLY != 0
}

// sortedKeys lists a set's members in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
