package rootfs

import (
	"errors"
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

// attach moves the detached mount tree mfd onto the target fd. A
// directory and a non-directory do not stack: that is ENOTDIR, as mount(2)
// says it (move_mount says EINVAL for some of these).
func attach(mfd int, target *os.File) error {
	var src, dst unix.Stat_t
	if unix.Fstat(mfd, &src) == nil && unix.Fstat(int(target.Fd()), &dst) == nil &&
		(src.Mode&unix.S_IFMT == unix.S_IFDIR) != (dst.Mode&unix.S_IFMT == unix.S_IFDIR) {
		return unix.ENOTDIR
	}
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

// sbFlags are superblock flags that fsconfig knows by name. "ro" makes
// the superblock read-only too, as mount(2) with MS_RDONLY does.
var sbFlags = []struct {
	flag uintptr
	name string
}{
	{unix.MS_RDONLY, "ro"}, {unix.MS_SYNCHRONOUS, "sync"}, {unix.MS_DIRSYNC, "dirsync"},
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
	return newFSFrom(fsfd, source, data, flags)
}

// newFSFrom is newFS on a filesystem context already open (fsopen by
// another process, whose namespaces it took); its owner closes fsfd.
func newFSFrom(fsfd int, source string, data []string, flags uintptr) (int, error) {
	var err error
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

const (
	// msAtimeMode are the atime modes of mount(2), one at a time.
	msAtimeMode = unix.MS_NOATIME | unix.MS_RELATIME | unix.MS_STRICTATIME
	// msAtime are all atime flags of mount(2).
	msAtime = msAtimeMode | unix.MS_NODIRATIME
	// msLockable are the flags the kernel locks (MNT_LOCK_*) on mounts
	// handed to a less privileged user namespace.
	msLockable = unix.MS_RDONLY | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOSUID | msAtime
	// attrSettable are the per-mount attributes a bind remount sets.
	attrSettable = unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV |
		unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NOSYMFOLLOW
)

// NamesFlags reports whether a bind mount's options name any mount flag
// (set or cleared) beyond bind/rbind/remount: then its per-mount flags are
// exactly the named ones, runc's rule; otherwise the source's are kept.
func NamesFlags(o Options) bool {
	return o.Flags&^(unix.MS_BIND|unix.MS_REC|unix.MS_REMOUNT) != 0 || o.Clear != 0
}

// remountAttrs is what mount(2) with MS_BIND|MS_REMOUNT|flags sets on a
// mount, as mount_setattr arguments: every settable flag not in flags is
// cleared; the atime mode (and nodiratime) is kept unless flags names one,
// then it is strictatime, noatime or else relatime, in that priority.
func remountAttrs(flags uintptr) (set, clr uint64) {
	set, _ = attrFromFlags(flags&^msAtime, 0)
	clr = attrSettable
	if flags&msAtime != 0 {
		clr |= unix.MOUNT_ATTR__ATIME | unix.MOUNT_ATTR_NODIRATIME
		switch {
		case flags&unix.MS_STRICTATIME != 0:
			set |= unix.MOUNT_ATTR_STRICTATIME
		case flags&unix.MS_NOATIME != 0:
			set |= unix.MOUNT_ATTR_NOATIME
		default:
			set |= unix.MOUNT_ATTR_RELATIME
		}
		if flags&unix.MS_NODIRATIME != 0 {
			set |= unix.MOUNT_ATTR_NODIRATIME
		}
	}
	// The kernel wants the whole atime field cleared to set a mode.
	return set, clr &^ (set &^ unix.MOUNT_ATTR__ATIME)
}

// bindFlags gives the bind mount tree the flags o names. When the kernel
// refuses because the source's flags are locked (a mount from a more
// privileged user namespace), the locked flags are kept, unless o asks to
// clear one of them or names another atime mode: that is an error.
func bindFlags(tree int, o Options) error {
	set, clr := remountAttrs(o.Flags)
	err := setattr(tree, false, set, clr, 0)
	if !errors.Is(err, unix.EPERM) {
		return err
	}
	var st unix.Statfs_t
	if serr := unix.Fstatfs(tree, &st); serr != nil {
		return err
	}
	src := statfsFlags(st.Flags)
	if locked := src & o.Clear & msLockable; locked != 0 {
		return fmt.Errorf("cannot clear locked flags %s: %w", flagNames(locked), err)
	}
	if o.Flags&msAtime != 0 && o.Flags&msAtime != src&msAtime {
		return fmt.Errorf("cannot change locked atime flags %s: %w", flagNames(src&msAtime), err)
	}
	set, clr = remountAttrs(o.Flags | src&msLockable)
	if err := setattr(tree, false, set, clr, 0); err != nil {
		return fmt.Errorf("remount with locked flags %s re-applied: %w", flagNames(src&msLockable), err)
	}
	return nil
}

// statfsFlags turns statfs f_flags into mount(2) flags.
func statfsFlags(f int64) uintptr {
	var out uintptr
	for _, p := range []struct {
		st int64
		ms uintptr
	}{
		{unix.ST_RDONLY, unix.MS_RDONLY}, {unix.ST_NOSUID, unix.MS_NOSUID},
		{unix.ST_NODEV, unix.MS_NODEV}, {unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_NOATIME, unix.MS_NOATIME}, {unix.ST_NODIRATIME, unix.MS_NODIRATIME},
		{unix.ST_RELATIME, unix.MS_RELATIME}, {0x2000 /* ST_NOSYMFOLLOW */, unix.MS_NOSYMFOLLOW},
	} {
		if f&p.st != 0 {
			out |= p.ms
		}
	}
	// strictatime is not reported: it is what none of the others means.
	if out&msAtimeMode == 0 {
		out |= unix.MS_STRICTATIME
	}
	return out
}

// flagNames names mount(2) flags as the kernel headers do, for errors.
func flagNames(f uintptr) string {
	var names []string
	for _, n := range []struct {
		flag uintptr
		name string
	}{
		{unix.MS_RDONLY, "MS_RDONLY"}, {unix.MS_NOSUID, "MS_NOSUID"}, {unix.MS_NODEV, "MS_NODEV"},
		{unix.MS_NOEXEC, "MS_NOEXEC"}, {unix.MS_NOATIME, "MS_NOATIME"},
		{unix.MS_NODIRATIME, "MS_NODIRATIME"}, {unix.MS_RELATIME, "MS_RELATIME"},
		{unix.MS_STRICTATIME, "MS_STRICTATIME"},
	} {
		if f&n.flag != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, "|")
}
