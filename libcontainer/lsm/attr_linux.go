package lsm

import (
	"errors"
	"fmt"
	"os"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"golang.org/x/sys/unix"
)

// SetExec arranges for the calling thread's next execve to run under the
// AppArmor profile and the SELinux label; empty means unchanged. The
// attributes are per thread: the caller must stay locked to its OS thread
// until the execve (the init runs on the locked main thread).
func SetExec(profile, label string) error {
	if profile != "" {
		err := writeAttr([]string{"attr/apparmor/exec", "attr/exec"}, appArmorExec(profile))
		if errors.Is(err, errWrite) && errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("process.apparmorProfile: profile %q is not loaded: %w", profile, err)
		}
		if err != nil {
			return fmt.Errorf("process.apparmorProfile %q: %w", profile, err)
		}
	}
	if label != "" {
		if err := writeAttr([]string{"attr/exec"}, label); err != nil {
			return fmt.Errorf("process.selinuxLabel %q: %w", label, err)
		}
	}
	return nil
}

// SetKeyCreate sets the SELinux label of the keyrings the calling thread
// creates next (the container's session keyring); "" restores the default.
func SetKeyCreate(label string) error {
	if err := writeAttr([]string{"attr/keycreate"}, label); err != nil {
		return fmt.Errorf("session keyring label %q: %w", label, err)
	}
	return nil
}

// LabelMount labels the root of a new, still detached mount whose
// filesystem takes no context= option (mqueue). Best effort, as in runc:
// kernels that cannot label it keep the default label, which costs the
// container access to its queues, not confinement.
func LabelMount(mfd int, label string) {
	if label == "" {
		return
	}
	fd, err := unix.Openat(mfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	_ = unix.Fsetxattr(fd, "security.selinux", []byte(label), 0)
	unix.Close(fd)
}

var errWrite = errors.New("write")

// writeAttr writes value to the first of the /proc/thread-self/<sub>
// files that exists (newer kernels have a per-LSM directory, older ones
// only the shared file). The file is looked up in a private procfs
// instance (or a verified one, without crossing mounts or following
// symlinks) and reopened for writing through that instance, so mounts the
// container made on its /proc cannot redirect the write.
func writeAttr(subs []string, value string) error {
	proc, err := procfs.OpenProcRoot()
	if err != nil {
		return fmt.Errorf("open procfs: %w", err)
	}
	defer proc.Close()
	for i, sub := range subs {
		err = writeOne(proc, sub, value)
		if err == nil || errors.Is(err, errWrite) || !errors.Is(err, os.ErrNotExist) || i == len(subs)-1 {
			return err
		}
	}
	return err
}

func writeOne(proc *procfs.Handle, sub, value string) error {
	h, unlock, err := proc.OpenThreadSelf(sub)
	if err != nil {
		return fmt.Errorf("open /proc/thread-self/%s: %w", sub, err)
	}
	defer unlock()
	defer h.Close()
	f, err := pathrs.Reopen(h, unix.O_WRONLY|unix.O_CLOEXEC)
	if err != nil {
		return fmt.Errorf("reopen /proc/thread-self/%s: %w", sub, err)
	}
	defer f.Close()
	// One write(2): the kernel takes the attribute from a single write
	// at offset 0 and refuses partial ones.
	if _, err := unix.Write(int(f.Fd()), []byte(value)); err != nil {
		return fmt.Errorf("%w /proc/thread-self/%s: %w", errWrite, sub, err)
	}
	return nil
}
