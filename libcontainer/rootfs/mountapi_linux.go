package rootfs

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Every mount hako makes inside the rootfs goes through the fd-based mount
// API: the source tree or new superblock is a file descriptor and so is
// the target, which was resolved confined to the rootfs. Nothing is looked
// up by path between resolution and mount, so a symlink swapped in by the
// image during create cannot redirect a mount (CVE-2021-30465 class), and
// no procfs magic link is needed (CVE-2025-52881 class).

// attrFromFlags converts mount(2) flags into mount_setattr attributes.
func attrFromFlags(set, clr uintptr) (attrSet, attrClr uint64) {
	pairs := []struct {
		flag uintptr
		attr uint64
	}{
		{unix.MS_RDONLY, unix.MOUNT_ATTR_RDONLY},
		{unix.MS_NOSUID, unix.MOUNT_ATTR_NOSUID},
		{unix.MS_NODEV, unix.MOUNT_ATTR_NODEV},
		{unix.MS_NOEXEC, unix.MOUNT_ATTR_NOEXEC},
		{unix.MS_NODIRATIME, unix.MOUNT_ATTR_NODIRATIME},
		{unix.MS_NOSYMFOLLOW, unix.MOUNT_ATTR_NOSYMFOLLOW},
	}
	for _, p := range pairs {
		if set&p.flag != 0 {
			attrSet |= p.attr
		}
		if clr&p.flag != 0 {
			attrClr |= p.attr
		}
	}
	// The atime mode is one field: setting any value clears the others.
	switch {
	case set&unix.MS_NOATIME != 0:
		attrSet |= unix.MOUNT_ATTR_NOATIME
		attrClr |= unix.MOUNT_ATTR__ATIME
	case set&unix.MS_STRICTATIME != 0:
		attrSet |= unix.MOUNT_ATTR_STRICTATIME
		attrClr |= unix.MOUNT_ATTR__ATIME
	case set&unix.MS_RELATIME != 0 || clr&(unix.MS_NOATIME|unix.MS_STRICTATIME) != 0:
		attrSet |= unix.MOUNT_ATTR_RELATIME
		attrClr |= unix.MOUNT_ATTR__ATIME
	}
	return attrSet, attrClr
}

func setattr(fd int, recursive bool, set, clr uint64, prop uint64) error {
	if set == 0 && clr == 0 && prop == 0 {
		return nil
	}
	flags := uint(unix.AT_EMPTY_PATH)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	return unix.MountSetattr(fd, "", flags, &unix.MountAttr{Attr_set: set, Attr_clr: clr, Propagation: prop})
}

// attach moves the detached mount tree mfd onto the target fd.
func attach(mfd int, target *os.File) error {
	return unix.MoveMount(mfd, "", int(target.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
}

// cloneTree returns a detached copy of the mount at fd (or path when fd is
// AT_FDCWD), recursive when asked.
func cloneTree(fd int, path string, recursive bool) (int, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if path == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	return unix.OpenTree(fd, path, flags)
}

// sbFlags are superblock flags that fsconfig knows by name.
var sbFlags = []struct {
	flag uintptr
	name string
}{
	{unix.MS_SYNCHRONOUS, "sync"}, {unix.MS_DIRSYNC, "dirsync"},
	{unix.MS_LAZYTIME, "lazytime"}, {unix.MS_MANDLOCK, "mand"},
}

// newFS creates a detached mount of a new filesystem instance. Errors
// carry the kernel's own message from the fs context when it has one
// (e.g. "tmpfs: Unknown parameter 'foo'").
func newFS(fstype, source string, data []string, flags uintptr) (int, error) {
	fsfd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsopen %s: %w", fstype, err)
	}
	defer unix.Close(fsfd)
	withLog := func(step string, err error) error {
		buf := make([]byte, 256)
		if n, rerr := unix.Read(fsfd, buf); rerr == nil && n > 2 {
			return fmt.Errorf("%s: %s: %w", step, strings.TrimSpace(string(buf[2:n])), err)
		}
		return fmt.Errorf("%s: %w", step, err)
	}
	if source != "" {
		if err := unix.FsconfigSetString(fsfd, "source", source); err != nil {
			return -1, withLog("fsconfig source", err)
		}
	}
	for _, sb := range sbFlags {
		if flags&sb.flag != 0 {
			if err := unix.FsconfigSetFlag(fsfd, sb.name); err != nil {
				return -1, withLog("fsconfig "+sb.name, err)
			}
		}
	}
	for _, d := range data {
		k, v, hasValue := strings.Cut(d, "=")
		if hasValue {
			err = unix.FsconfigSetString(fsfd, k, v)
		} else {
			err = unix.FsconfigSetFlag(fsfd, k)
		}
		if err != nil {
			return -1, withLog(fmt.Sprintf("option %q", d), err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return -1, withLog("create superblock", err)
	}
	set, _ := attrFromFlags(flags, 0)
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, int(set))
	if err != nil {
		return -1, withLog("fsmount", err)
	}
	return mfd, nil
}
