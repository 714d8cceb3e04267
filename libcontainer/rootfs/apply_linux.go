package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/lsm"
)

// Prepare runs in the init, in its new mount namespace, before pivot_root:
// it makes the host's mounts invisible to propagation, turns the rootfs
// into a mount point and mounts every entry of spec.Mounts. mountLabel is
// the SELinux label for new filesystems ("" = none, lsm.MountLabel).
//
// sources, when set, holds for a bind mount's index a detached mount of
// its source already opened by the host (a new user namespace cannot
// always reach it); it is used instead of opening the source path.
func Prepare(s *specs.Spec, rootfs string, userns bool, mountLabel string, sources map[int]int) error {
	prop := uintptr(unix.MS_SLAVE | unix.MS_REC)
	if p, ok := propOpts[s.Linux.RootfsPropagation]; ok {
		prop = p
	}
	if err := unix.Mount("", "/", "", prop, ""); err != nil {
		return fmt.Errorf("set propagation of / to %q: %w", s.Linux.RootfsPropagation, err)
	}
	if prop&unix.MS_SHARED != 0 {
		// pivot_root refuses a shared new root or parent: keep the mount
		// holding the rootfs private so the bind below is private too;
		// Finish makes / shared again after pivot_root.
		if err := privateParent(rootfs); err != nil {
			return err
		}
	}
	// pivot_root needs the new root to be a mount point.
	if err := unix.Mount(rootfs, rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind mount rootfs %s: %w", rootfs, err)
	}
	return mountAll(s, rootfs, userns, mountLabel, sources)
}

// mountAll mounts every entry of spec.Mounts under rootfs, then /dev.
func mountAll(s *specs.Spec, rootfs string, userns bool, mountLabel string, sources map[int]int) error {
	root, err := os.OpenFile(rootfs, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return fmt.Errorf("open rootfs: %w", err)
	}
	defer root.Close()
	for i := range s.Mounts {
		src := -1
		if fd, ok := sources[i]; ok {
			src = fd
		}
		if err := mountOne(root, &s.Mounts[i], userns, mountLabel, src); err != nil {
			m := &s.Mounts[i]
			return fmt.Errorf("mount %s to %s (type %q, options %q): %w", m.Source, Dest(m), m.Type, m.Options, err)
		}
	}
	if NeedsDevSetup(s) {
		if err := setupDev(root, s, userns); err != nil {
			return err
		}
	}
	return nil
}

func privateParent(rootfs string) error {
	mounts, err := mountinfo.GetMounts(mountinfo.ParentsFilter(rootfs))
	if err != nil {
		return fmt.Errorf("find mount of rootfs: %w", err)
	}
	best := "/"
	for _, m := range mounts {
		if len(m.Mountpoint) > len(best) {
			best = m.Mountpoint
		}
	}
	if err := unix.Mount("", best, "", unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make %s private: %w", best, err)
	}
	return nil
}

// target resolves dest inside root, creating it as a directory or an
// empty file; the returned O_PATH handle is what the mount lands on.
func target(root *os.File, dest string, dir bool) (*os.File, error) {
	if dir {
		return pathrs.MkdirAllHandle(root, dest, 0o755)
	}
	parent, err := pathrs.MkdirAllHandle(root, path.Dir(dest), 0o755)
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	fd, err := unix.Openat(int(parent.Fd()), path.Base(dest), unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_RDONLY, 0o644)
	if err == nil {
		unix.Close(fd)
	} else if !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("create mount point %s: %w", dest, err)
	}
	h, err := pathrs.OpenatInRoot(root, dest)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		h.Close()
		return nil, fmt.Errorf("mount point %s is a directory but the source is not", dest)
	}
	return h, nil
}

func mountOne(root *os.File, m *specs.Mount, userns bool, label string, src int) error {
	o := ParseOptions(m.Options)
	dest := Dest(m)
	if IsBind(m) {
		if idmap, _ := Idmapped(m); idmap && src < 0 {
			// The host makes idmapped mounts (mountsrc_linux.go).
			return errors.New("idmapped mount source was not opened by the host")
		}
		return bindMountFrom(root, src, m.Source, dest, o)
	}
	switch m.Type {
	case "cgroup", "cgroup2":
		return mountCgroup(root, dest, o, label)
	}
	mfd, err := newFS(m.Type, m.Source, withLabel(m.Type, o.Data, label), o.Flags)
	if err != nil {
		if m.Type == "sysfs" && userns && errors.Is(err, unix.EPERM) {
			// sysfs cannot be mounted from a user namespace that does
			// not own the network namespace: use the host's, read-only
			// as far as the options say.
			return bindMount(root, "/sys", dest, ParseOptions(append([]string{"rbind"}, m.Options...)))
		}
		return err
	}
	defer unix.Close(mfd)
	if m.Type == "mqueue" {
		lsm.LabelMount(mfd, label)
	}
	if err := setattr(mfd, true, o.RecSet, o.RecClr, 0); err != nil {
		return fmt.Errorf("set recursive attributes: %w", err)
	}
	t, err := target(root, dest, true)
	if err != nil {
		return err
	}
	defer t.Close()
	if err := attach(mfd, t); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return propagate(root, dest, o)
}

// withLabel adds the SELinux context option for fstype to data.
func withLabel(fstype string, data []string, label string) []string {
	if opt, ok := lsm.MountOption(fstype, label); ok {
		return append(append([]string(nil), data...), opt)
	}
	return data
}

func bindMount(root *os.File, source, dest string, o Options) error {
	return bindMountFrom(root, -1, source, dest, o)
}

// bindMountFrom binds source at dest; src >= 0 is a detached mount of
// source opened by the host, used as is (its owner closes it).
func bindMountFrom(root *os.File, src int, source, dest string, o Options) error {
	tree := src
	if tree < 0 {
		var err error
		if tree, err = cloneTree(unix.AT_FDCWD, source, o.Recursive); err != nil {
			return fmt.Errorf("open_tree %s: %w", source, err)
		}
		defer unix.Close(tree)
	}
	var st unix.Stat_t
	if err := unix.Fstat(tree, &st); err != nil {
		return err
	}
	set, clr := attrFromFlags(o.Flags, o.Clear)
	if err := setattr(tree, false, set, clr, 0); err != nil {
		return fmt.Errorf("set mount attributes: %w", err)
	}
	if err := setattr(tree, true, o.RecSet, o.RecClr, 0); err != nil {
		return fmt.Errorf("set recursive attributes: %w", err)
	}
	t, err := target(root, dest, st.Mode&unix.S_IFMT == unix.S_IFDIR)
	if err != nil {
		return err
	}
	defer t.Close()
	if err := attach(tree, t); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return propagate(root, dest, o)
}

// propagate applies propagation options to the mount now at dest.
func propagate(root *os.File, dest string, o Options) error {
	for _, p := range o.Propagation {
		h, err := pathrs.OpenatInRoot(root, dest)
		if err != nil {
			return err
		}
		err = setattr(int(h.Fd()), p&unix.MS_REC != 0, 0, 0, uint64(p&^unix.MS_REC))
		h.Close()
		if err != nil {
			return fmt.Errorf("set propagation: %w", err)
		}
	}
	return nil
}
