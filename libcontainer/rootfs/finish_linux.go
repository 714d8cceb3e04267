package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// openInContainer opens p (after pivot_root, so inside the container) as
// an O_PATH handle. Symlinks are followed, as runc does for masked and
// read-only paths (/proc/mounts masks /proc/self/mounts); they resolve
// inside the container, and magic links (/proc/self/fd/N, which can lead
// anywhere) are refused.
func openInContainer(p string) (*os.File, error) {
	fd, err := unix.Openat2(unix.AT_FDCWD, p, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
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
// read-only tmpfs (with the SELinux mountLabel, if any), one tmpfs shared
// by all of them as in runc. Missing paths are skipped, and a path listed
// twice is masked once, as in runc.
func MaskPaths(paths []string, mountLabel string) error {
	if len(paths) == 0 {
		return nil
	}
	null, err := devNull()
	if err != nil {
		return fmt.Errorf("mask paths: %w", err)
	}
	defer unix.Close(null)
	dirMask := -1
	defer func() {
		if dirMask >= 0 {
			unix.Close(dirMask)
		}
	}()
	done := map[string]bool{}
	for _, p := range paths {
		h, err := openInContainer(p)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
		if clean := path.Clean(p); done[clean] {
			h.Close()
			continue
		} else {
			done[clean] = true
		}
		err = maskOne(h, null, &dirMask, mountLabel)
		h.Close()
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	return nil
}

// maskOne mounts over h: /dev/null for a file, for a directory a clone of
// *dirMask, the read-only tmpfs made for the first directory.
func maskOne(h *os.File, null int, dirMask *int, label string) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return err
	}
	var src int
	var err error
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if *dirMask < 0 {
			// As small as tmpfs goes; some kernels refuse nr_inodes=1.
			*dirMask, err = newFS("tmpfs", "tmpfs", withLabel("tmpfs", []string{"nr_blocks=1", "nr_inodes=1"}, label), unix.MS_RDONLY)
			if err != nil {
				*dirMask, err = newFS("tmpfs", "tmpfs", withLabel("tmpfs", []string{"nr_blocks=1", "nr_inodes=2"}, label), unix.MS_RDONLY)
			}
			if err != nil {
				*dirMask = -1
				return err
			}
			return attach(*dirMask, h)
		}
		src, err = cloneTree(*dirMask, "", false)
	default:
		src, err = cloneTree(null, "", false)
	}
	if err != nil {
		return err
	}
	defer unix.Close(src)
	return attach(src, h)
}

// ReadonlyPaths makes each path a read-only bind of itself: the mounts
// below it come along (rbind) but keep their own flags, as in runc.
func ReadonlyPaths(paths []string) error {
	for _, p := range paths {
		h, err := openInContainer(p)
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
			if err := setattr(tree, false, unix.MOUNT_ATTR_RDONLY, 0, 0); err != nil {
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
// paths, the mounts Prepare left writable made read-only, and a
// read-only root. mountLabel is as for Prepare; p is what Prepare
// returned (Finish closes it).
func Finish(s *specs.Spec, mountLabel string, p *Pending) error {
	defer p.Close()
	// Private and slave were applied to / before pivot_root; shared and
	// unbindable could not be (see Prepare) and go on now.
	if prop, ok := propOpts[s.Linux.RootfsPropagation]; ok && prop&(unix.MS_PRIVATE|unix.MS_SLAVE) == 0 {
		if err := unix.Mount("", "/", "", prop, ""); err != nil {
			return fmt.Errorf("set propagation of / to %s: %w", s.Linux.RootfsPropagation, err)
		}
	}
	if err := MaskPaths(s.Linux.MaskedPaths, mountLabel); err != nil {
		return err
	}
	if err := ReadonlyPaths(s.Linux.ReadonlyPaths); err != nil {
		return err
	}
	if err := p.MakeReadonly(); err != nil {
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

// SetKernelNames sets the hostname and domainname, then writes
// linux.sysctl (WriteSysctls), in the calling thread's namespaces: in
// that order, as runc, so a kernel.domainname sysctl wins over the
// domainname field. It must run before Finish makes /proc/sys read-only.
func SetKernelNames(s *specs.Spec) error {
	if s.Hostname != "" {
		if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
			return fmt.Errorf("hostname: %w", err)
		}
	}
	if s.Domainname != "" {
		if err := unix.Setdomainname([]byte(s.Domainname)); err != nil {
			return fmt.Errorf("domainname: %w", err)
		}
	}
	return WriteSysctls(s.Linux.Sysctl)
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
