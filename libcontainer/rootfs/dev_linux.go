package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func pathrsOpen(root *os.File, p string) (*os.File, error) { return pathrs.OpenatInRoot(root, p) }

func u32(v uint32) *uint32 { return &v }

// DefaultDevices are created in every container whose /dev hako populates.
var DefaultDevices = []specs.LinuxDevice{
	{Path: "/dev/null", Type: "c", Major: 1, Minor: 3, FileMode: mode(0o666), UID: u32(0), GID: u32(0)},
	{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5, FileMode: mode(0o666), UID: u32(0), GID: u32(0)},
	{Path: "/dev/full", Type: "c", Major: 1, Minor: 7, FileMode: mode(0o666), UID: u32(0), GID: u32(0)},
	{Path: "/dev/random", Type: "c", Major: 1, Minor: 8, FileMode: mode(0o666), UID: u32(0), GID: u32(0)},
	{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9, FileMode: mode(0o666), UID: u32(0), GID: u32(0)},
	{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0, FileMode: mode(0o666), UID: u32(0), GID: u32(0)},
}

func mode(m os.FileMode) *os.FileMode { return &m }

var devLinks = [][2]string{
	{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
	{"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
}

func setupDev(root *os.File, s *specs.Spec, userns bool) error {
	devs := append(append([]specs.LinuxDevice{}, DefaultDevices...), s.Linux.Devices...)
	for _, d := range devs {
		if err := makeDevice(root, d, userns); err != nil {
			return fmt.Errorf("create device %s: %w", d.Path, err)
		}
	}
	dev, err := pathrs.MkdirAllHandle(root, "/dev", 0o755)
	if err != nil {
		return err
	}
	defer dev.Close()
	for _, l := range devLinks {
		if err := unix.Symlinkat(l[0], int(dev.Fd()), l[1]); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("create /dev/%s: %w", l[1], err)
		}
	}
	return nil
}

func devType(t string) (uint32, error) {
	switch t {
	case "c", "u":
		return unix.S_IFCHR, nil
	case "b":
		return unix.S_IFBLK, nil
	case "p":
		return unix.S_IFIFO, nil
	}
	return 0, fmt.Errorf("unknown device type %q", t)
}

// makeDevice creates a device node confined to the rootfs; in a user
// namespace, where mknod is refused, it bind-mounts the host's node.
func makeDevice(root *os.File, d specs.LinuxDevice, userns bool) error {
	parent, err := pathrs.MkdirAllHandle(root, path.Dir(d.Path), 0o755)
	if err != nil {
		return err
	}
	defer parent.Close()
	name := path.Base(d.Path)
	if userns {
		fd, err := unix.Openat(int(parent.Fd()), name, unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_RDONLY, 0o644)
		if err != nil {
			return err
		}
		unix.Close(fd)
		return bindMount(root, d.Path, d.Path, Options{})
	}
	t, err := devType(d.Type)
	if err != nil {
		return err
	}
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(*d.FileMode & 0o7777)
	}
	err = unix.Mknodat(int(parent.Fd()), name, t|perm, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor))))
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	if err != nil {
		return err
	}
	// mknod is subject to the umask; the spec's mode is exact.
	if err := unix.Fchmodat(int(parent.Fd()), name, perm, 0); err != nil {
		return err
	}
	uid, gid := 0, 0
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	return unix.Fchownat(int(parent.Fd()), name, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
}
