//go:build !hako_unsealed_exe

package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Protection of the hako binary (CVE-2019-5736 class).
//
// The init runs inside the container's namespaces while it is still hako,
// so a process of the container can reach its /proc/<pid>/exe (it needs
// ptrace access: the init is non-dumpable, see nsenter, but a container
// with CAP_SYS_PTRACE has it, and `#!/proc/self/exe` as an entrypoint
// makes the container's own process run the init's binary). If that link
// led to the host's hako file, the container could keep it open and write
// it once no hako process executes it any more: the next hako run on the
// host would then run the container's code as root.
//
// So the init is started from a file that nobody can open for writing,
// chosen in this order:
//
//  1. The binary seen through a read-only overlayfs made of lower layers
//     only (the binary's directory on top, an empty directory below),
//     created with fsopen/fsmount and never attached anywhere: no mount
//     event, nothing in any mount table, gone when the last process
//     running from it execs or exits. An overlay without an upper layer
//     has no place to write to, and it cannot be reconfigured read-write,
//     whatever capabilities or user namespace the caller has; the mount
//     flags are not what protects the file (a detached open_tree clone
//     with MOUNT_ATTR_RDONLY would be: that flag is one mount_setattr
//     away for a caller with CAP_SYS_ADMIN over its own mount namespace,
//     and the file under it is still the host's writable inode). Cost:
//     a few syscalls, no copy.
//  2. A sealed memfd copy of /proc/self/exe (F_SEAL_WRITE, SHRINK, GROW,
//     SEAL), when the overlay cannot be made: kernel without the new
//     mount API or overlayfs, the binary's directory overlapping the
//     state root on a kernel older than 6.15 (newer ones take a detached
//     tmpfs as the empty layer), or the binary replaced on disk since
//     hako started.
//     Cost: a copy of the binary per create or exec, held until the
//     init execs.
//
// When neither works the create fails: running the init from the host
// file would silently undo the protection.
//
// What is left: /proc/<pid>/map_files of the init leads to the overlay's
// backing file, but reading those links takes CAP_SYS_ADMIN in the initial
// user namespace, which is host root already.

// initExe is the binary the init is started from.
type initExe struct {
	// Path is what exec.Cmd runs: /proc/<hako pid>/fd/<fd>. It names the
	// parent's fd rather than /proc/self/fd, whose number could be reused
	// by the child's dup2 of ExtraFiles before execve.
	Path string
	file *os.File
}

func (e *initExe) Close() error {
	if e.file == nil {
		return nil
	}
	return e.file.Close()
}

// sealedExe returns the init's binary for a container of the state root.
func sealedExe(root string) (*initExe, error) {
	f, oerr := overlayExe(filepath.Join(root, cacheDir, "exe-lower"))
	if oerr != nil {
		// The binary's directory overlaps the state root's empty layer
		// (or the kernel refuses it): a detached tmpfs overlaps nothing.
		f, oerr = overlayExe("")
	}
	if oerr != nil {
		var merr error
		f, merr = memfdExe()
		if merr != nil {
			return nil, fmt.Errorf("protect the hako binary from the container: overlayfs: %v; sealed memfd: %w", oerr, merr)
		}
	}
	return &initExe{Path: fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), f.Fd()), file: f}, nil
}

// ExeGuard says how a create from the state root would protect the hako
// binary ("overlayfs" or "sealed memfd"), for `hako doctor`: it tries the
// same mechanisms in sealedExe's order and closes what it opened. It makes
// nothing in the state root: the empty layer there is used only when an
// earlier create made it, else a detached tmpfs (so on kernels before 6.15
// it may report the memfd where a create would get the overlay).
// overlayErr is why the overlay could not be used when the memfd is; err
// says why neither works, which is why a create would fail.
func ExeGuard(root string) (method string, overlayErr, err error) {
	empty := filepath.Join(root, cacheDir, "exe-lower")
	if fi, serr := os.Stat(empty); serr != nil || !fi.IsDir() {
		empty = ""
	}
	f, oerr := overlayExe(empty)
	if oerr != nil && empty != "" {
		f, oerr = overlayExe("")
	}
	if oerr == nil {
		f.Close()
		return "overlayfs", nil, nil
	}
	f, merr := memfdExe()
	if merr != nil {
		return "", oerr, fmt.Errorf("overlayfs: %v; sealed memfd: %w", oerr, merr)
	}
	f.Close()
	return "sealed memfd", oerr, nil
}

// overlayExe opens the running binary through a detached lower-only
// overlayfs. empty is an empty directory made for the second layer
// (overlayfs wants two lower layers when there is no upper one); "" uses
// the root of a new detached tmpfs instead, which cannot overlap the
// binary's directory (kernels before 6.15 refuse a detached layer).
func overlayExe(empty string) (*os.File, error) {
	self, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	// The directory must still hold the very file we run (not an upgrade
	// renamed over it), or the init would be another hako.
	var running, named unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &running); err != nil {
		return nil, err
	}
	if err := unix.Stat(self, &named); err != nil {
		return nil, err
	}
	if running.Dev != named.Dev || running.Ino != named.Ino {
		return nil, fmt.Errorf("%s is no longer the running binary", self)
	}
	if empty == "" {
		mnt, err := emptyTmpfs()
		if err != nil {
			return nil, err
		}
		defer unix.Close(mnt)
		empty = fmt.Sprintf("/proc/self/fd/%d", mnt)
	} else if err := os.MkdirAll(empty, 0o700); err != nil {
		return nil, err
	}
	ctx, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("fsopen: %w", err)
	}
	defer unix.Close(ctx)
	// "lowerdir" (not "lowerdir+", Linux 6.8) takes a list: ':' separates
	// and '\' escapes, so both are escaped in the paths.
	esc := strings.NewReplacer(`\`, `\\`, `:`, `\:`)
	lower := esc.Replace(filepath.Dir(self)) + ":" + esc.Replace(empty)
	if err := unix.FsconfigSetString(ctx, "lowerdir", lower); err != nil {
		return nil, fmt.Errorf("fsconfig lowerdir=%s: %w", lower, err)
	}
	// xino would only log warnings when the layers are on different
	// filesystems; inode numbers of this mount do not matter.
	_ = unix.FsconfigSetString(ctx, "xino", "off")
	if err := unix.FsconfigCreate(ctx); err != nil {
		return nil, fmt.Errorf("create overlay (lowerdir=%s): %w", lower, err)
	}
	mnt, err := unix.Fsmount(ctx, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOSUID)
	if err != nil {
		return nil, fmt.Errorf("fsmount overlay: %w", err)
	}
	defer unix.Close(mnt)
	fd, err := unix.Openat(mnt, filepath.Base(self), unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s in the overlay: %w", filepath.Base(self), err)
	}
	f := os.NewFile(uintptr(fd), "hako (overlay)")
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size != running.Size {
		f.Close()
		return nil, fmt.Errorf("%s in the overlay is not the running binary", filepath.Base(self))
	}
	return f, nil
}

// emptyTmpfs returns the root of a new, detached, read-only tmpfs.
func emptyTmpfs() (int, error) {
	ctx, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsopen tmpfs: %w", err)
	}
	defer unix.Close(ctx)
	if err := unix.FsconfigCreate(ctx); err != nil {
		return -1, fmt.Errorf("create tmpfs: %w", err)
	}
	mnt, err := unix.Fsmount(ctx, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsmount tmpfs: %w", err)
	}
	return mnt, nil
}

// memfdExe copies the running binary into a sealed memfd and returns it
// reopened read-only: execve refuses a file that has a writer (ETXTBSY).
func memfdExe() (*os.File, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	defer src.Close()
	const flags = unix.MFD_CLOEXEC | unix.MFD_ALLOW_SEALING
	// MFD_EXEC (Linux 6.3) keeps vm.memfd_noexec=1 from making the copy
	// non-executable; older kernels do not know the flag.
	fd, err := unix.MemfdCreate("hako-init", flags|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) {
		fd, err = unix.MemfdCreate("hako-init", flags)
	}
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	rw := os.NewFile(uintptr(fd), "memfd:hako-init")
	defer rw.Close()
	if _, err := io.Copy(rw, src); err != nil {
		return nil, fmt.Errorf("copy the binary: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		return nil, fmt.Errorf("seal memfd: %w", err)
	}
	return os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", fd), os.O_RDONLY|unix.O_CLOEXEC, 0)
}
