package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// openNoFollow opens p (after pivot_root, so inside the container) as an
// O_PATH handle without following a final symlink: a masked or read-only
// path that is a symlink is refused rather than followed elsewhere.
func openNoFollow(p string) (*os.File, error) {
	fd, err := unix.Openat2(unix.AT_FDCWD, p, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC | unix.O_NOFOLLOW,
		Resolve: unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), p), nil
}

// devNull opens the container's /dev/null and checks it really is the
// null device: an image can put a symlink or another device there to turn
// masking into an exposure (CVE-2025-31133 class).
func devNull() (int, error) {
	fd, err := unix.Openat2(unix.AT_FDCWD, "/dev/null", &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC | unix.O_NOFOLLOW,
		Resolve: unix.RESOLVE_NO_SYMLINKS,
	})
	if err != nil {
		return -1, fmt.Errorf("open /dev/null: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		unix.Close(fd)
		return -1, errors.New("/dev/null is not the null device (1:3)")
	}
	return fd, nil
}

// MaskPaths hides files behind /dev/null and directories behind an empty
// read-only tmpfs (with the SELinux mountLabel, if any). Missing paths are
// skipped, as in runc.
func MaskPaths(paths []string, mountLabel string) error {
	if len(paths) == 0 {
		return nil
	}
	null, err := devNull()
	if err != nil {
		return fmt.Errorf("mask paths: %w", err)
	}
	defer unix.Close(null)
	for _, p := range paths {
		h, err := openNoFollow(p)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
		err = maskOne(h, null, mountLabel)
		h.Close()
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	return nil
}

func maskOne(h *os.File, null int, label string) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return err
	}
	var src int
	var err error
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		src, err = newFS("tmpfs", "tmpfs", withLabel("tmpfs", []string{"size=0"}, label), unix.MS_RDONLY)
	case unix.S_IFLNK:
		return errors.New("refusing to mask a symlink")
	default:
		src, err = cloneTree(null, "", false)
	}
	if err != nil {
		return err
	}
	defer unix.Close(src)
	return attach(src, h)
}

// ReadonlyPaths makes each path a read-only bind of itself (recursively).
func ReadonlyPaths(paths []string) error {
	for _, p := range paths {
		h, err := openNoFollow(p)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return fmt.Errorf("readonly path %s: %w", p, err)
		}
		err = func() error {
			defer h.Close()
			tree, err := cloneTree(int(h.Fd()), "", true)
			if err != nil {
				return err
			}
			defer unix.Close(tree)
			if err := setattr(tree, true, unix.MOUNT_ATTR_RDONLY, 0, 0); err != nil {
				return err
			}
			return attach(tree, h)
		}()
		if err != nil {
			return fmt.Errorf("readonly path %s: %w", p, err)
		}
	}
	return nil
}

// Finish runs after pivot_root: root propagation, masked and read-only
// paths, and a read-only root. mountLabel is as for Prepare.
func Finish(s *specs.Spec, mountLabel string) error {
	if p := s.Linux.RootfsPropagation; strings.Contains(p, "shared") {
		if err := unix.Mount("", "/", "", propOpts[p], ""); err != nil {
			return fmt.Errorf("set propagation of / to %s: %w", p, err)
		}
	}
	if err := MaskPaths(s.Linux.MaskedPaths, mountLabel); err != nil {
		return err
	}
	if err := ReadonlyPaths(s.Linux.ReadonlyPaths); err != nil {
		return err
	}
	if s.Root.Readonly {
		if err := unix.MountSetattr(unix.AT_FDCWD, "/", 0, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
			return fmt.Errorf("make root read-only: %w", err)
		}
	}
	return nil
}

// BindConsole puts the pty slave at /dev/console (created if missing, never
// through a symlink).
func BindConsole(slave *os.File) error {
	fd, err := unix.Openat2(unix.AT_FDCWD, "/dev/console", &unix.OpenHow{
		Flags:   unix.O_CREAT | unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW,
		Mode:    0o600,
		Resolve: unix.RESOLVE_NO_SYMLINKS,
	})
	if err != nil {
		return fmt.Errorf("create /dev/console: %w", err)
	}
	t := os.NewFile(uintptr(fd), "/dev/console")
	defer t.Close()
	tree, err := cloneTree(int(slave.Fd()), "", false)
	if err != nil {
		return fmt.Errorf("clone pty for /dev/console: %w", err)
	}
	defer unix.Close(tree)
	return attach(tree, t)
}

// WriteSysctls writes linux.sysctl through the container's /proc/sys after
// checking it is procfs and without following symlinks (CVE-2025-52881).
func WriteSysctls(sysctl map[string]string) error {
	if len(sysctl) == 0 {
		return nil
	}
	dir, err := unix.Openat2(unix.AT_FDCWD, "/proc/sys", &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS,
	})
	if err != nil {
		return fmt.Errorf("open /proc/sys: %w", err)
	}
	defer unix.Close(dir)
	var fs unix.Statfs_t
	if err := unix.Fstatfs(dir, &fs); err != nil || fs.Type != unix.PROC_SUPER_MAGIC {
		return errors.New("linux.sysctl: /proc/sys is not procfs")
	}
	for k, v := range sysctl {
		rel := strings.ReplaceAll(k, ".", "/")
		fd, err := unix.Openat2(dir, rel, &unix.OpenHow{
			Flags: unix.O_WRONLY | unix.O_CLOEXEC | unix.O_TRUNC, Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_XDEV,
		})
		if err != nil {
			return fmt.Errorf("linux.sysctl %q: %w", k, err)
		}
		_, err = unix.Write(fd, []byte(v))
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("linux.sysctl %q = %q: %w", k, v, err)
		}
	}
	return nil
}
