package rootfs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// PivotRoot makes rootfs the root and detaches the old root, so no host
// path stays reachable. pivot_root(".", ".") stacks the old root under the
// new one, which is then lazily unmounted: no put_old directory needed.
func PivotRoot(rootfs string) error {
	oldroot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(oldroot)
	newroot, err := unix.Open(rootfs, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(newroot)
	if err := unix.Fchdir(newroot); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root %s: %w", rootfs, err)
	}
	if err := unix.Fchdir(oldroot); err != nil {
		return err
	}
	// Keep the unmount from propagating to the host.
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make old root slave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount old root: %w", err)
	}
	return unix.Chdir("/")
}

// MoveRoot is --no-pivot: the rootfs is moved over / and chrooted into.
// It is weaker (the old root stays in the namespace), which is why it is
// only done on request.
func MoveRoot(rootfs string) error {
	if err := dropHostProcSys(rootfs); err != nil {
		return err
	}
	if err := unix.Chdir(rootfs); err != nil {
		return err
	}
	if err := unix.Mount(rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move rootfs to /: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	return unix.Chdir("/")
}

// dropHostProcSys unmounts (or, where that is refused, covers with an
// empty tmpfs) every full procfs and sysfs mount outside rootfs. Without
// pivot_root they stay in the container's mount namespace, unreachable
// after chroot but still counted by the kernel: a fully visible procfs or
// sysfs is what lets a nested user namespace mount a fresh one (runc does
// the same).
func dropHostProcSys(rootfs string) error {
	mounts, err := mountinfo.GetMounts(func(i *mountinfo.Info) (skip, stop bool) {
		full := i.Root == "/" && (i.FSType == "proc" || i.FSType == "sysfs")
		inside := i.Mountpoint == rootfs || strings.HasPrefix(i.Mountpoint, rootfs+"/")
		return !full || inside, false
	})
	if err != nil {
		return fmt.Errorf("--no-pivot: list host proc and sysfs mounts: %w", err)
	}
	for _, m := range mounts {
		p := m.Mountpoint
		// The unmount must not propagate to the host.
		if err := unix.Mount("", p, "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue // under one already gone
			}
			return fmt.Errorf("--no-pivot: make %s slave: %w", p, err)
		}
		err := unix.Unmount(p, unix.MNT_DETACH)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EPERM) {
			// Locked in a user namespace: hide it instead.
			err = unix.Mount("tmpfs", p, "tmpfs", 0, "")
		}
		if err != nil {
			return fmt.Errorf("--no-pivot: remove host %s mount %s: %w", m.FSType, p, err)
		}
	}
	return nil
}
