package rootfs

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// PrepareInHostNS is Prepare for a container without a mount namespace
// (runc runs those too): the mounts are made in the host's mount
// namespace, under a recursive bind of rootfs onto itself that is made a
// slave first, so that nothing the container mounts propagates back. The
// propagation of the host's own mounts is left alone. It returns the
// mount ID of that bind, by which the host removes it with everything
// under it once the container is deleted.
func PrepareInHostNS(s *specs.Spec, ops []MountOp, rootfs string, userns bool, mountLabel string, sources map[int]int) (uint64, *Pending, error) {
	if err := unix.Mount(rootfs, rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return 0, nil, fmt.Errorf("bind mount rootfs %s: %w", rootfs, err)
	}
	id, err := MountID(rootfs)
	if err != nil {
		unix.Unmount(rootfs, unix.MNT_DETACH)
		return 0, nil, err
	}
	if err := unix.Mount("", rootfs, "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		unix.Unmount(rootfs, unix.MNT_DETACH)
		return 0, nil, fmt.Errorf("make rootfs %s a slave: %w", rootfs, err)
	}
	p, err := mountAll(s, ops, rootfs, userns, mountLabel, sources, 0)
	return id, p, err
}

// MountID is the ID of the mount at path (statx STATX_MNT_ID).
func MountID(path string) (uint64, error) {
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &stx); err != nil {
		return 0, fmt.Errorf("statx %s: %w", path, err)
	}
	if stx.Mask&unix.STATX_MNT_ID == 0 {
		return 0, fmt.Errorf("statx %s: no mount id", path)
	}
	return stx.Mnt_id, nil
}

// UnmountHostRoot removes what PrepareInHostNS left in the host's mount
// namespace: the rootfs bind with the given mount ID, and every mount
// under it. Anything else found at rootfs (an engine's own mount, after
// the bind is gone) is not touched.
func UnmountHostRoot(rootfs string, id uint64) error {
	cur, err := MountID(rootfs)
	if err != nil || cur != id {
		return nil
	}
	if err := unix.Unmount(rootfs, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount rootfs %s: %w", rootfs, err)
	}
	return nil
}

// Chroot enters rootfs without pivot_root, which a container without a
// mount namespace cannot use on the host's root (runc chroots too).
func Chroot(rootfs string) error {
	if err := unix.Chdir(rootfs); err != nil {
		return err
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot %s: %w", rootfs, err)
	}
	return unix.Chdir("/")
}
