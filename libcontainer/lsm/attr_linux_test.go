package lsm

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// On this host the exec attribute must be refused by the kernel itself:
// without AppArmor the legacy file is reached (the per-LSM one does not
// exist) and rejects the value; with AppArmor the profile is not loaded.
func TestSetExecReachesTheKernel(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root for a private procfs instance")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	err := SetExec("hako-test-no-such-profile", "")
	if err == nil {
		t.Fatal("an unknown profile was accepted")
	}
	if Detect().AppArmor {
		if !strings.Contains(err.Error(), "is not loaded") {
			t.Fatalf("AppArmor host: %v", err)
		}
		return
	}
	if !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), "/proc/thread-self/attr/exec") {
		t.Fatalf("no-AppArmor host: want EINVAL from attr/exec, got %v", err)
	}
}

// A file bind-mounted over the thread's attr/exec in the caller's /proc
// (what a bundle can do to the container's /proc) must not receive the
// write: the attribute goes through a procfs instance of our own.
func TestWriteAttrIgnoresOvermount(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to mount")
	}
	if Detect().SELinux {
		t.Skip("the write would really set an SELinux exec label")
	}
	done := make(chan error, 1)
	decoy := filepath.Join(t.TempDir(), "decoy")
	if err := os.WriteFile(decoy, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		// This thread gets its own mount namespace and is never
		// unlocked, so the runtime drops it when the goroutine ends.
		runtime.LockOSThread()
		done <- func() error {
			if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS); err != nil {
				return err
			}
			if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
				return err
			}
			if err := unix.Mount(decoy, "/proc/thread-self/attr/exec", "", unix.MS_BIND, ""); err != nil {
				return err
			}
			// The over-mount works for a plain open: a naive writer
			// would succeed, silently, into the decoy.
			if err := os.WriteFile("/proc/thread-self/attr/exec", []byte("probe"), 0); err != nil {
				return err
			}
			if b, _ := os.ReadFile(decoy); string(b) != "probe" {
				return errors.New("the over-mount did not take")
			}
			if err := os.Truncate(decoy, 0); err != nil {
				return err
			}
			err := SetExec("", "system_u:system_r:container_t:s0")
			if b, _ := os.ReadFile(decoy); len(b) != 0 {
				return errors.New("the label was written into the over-mounted file: " + string(b))
			}
			if err == nil {
				return errors.New("the kernel (no SELinux) accepted the label: the write went somewhere else")
			}
			t.Logf("write refused by the real attribute: %v", err)
			return nil
		}()
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
