package initproc

import (
	"os"
	"os/signal"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// disposition is the kernel's sa_handler for sig: 0 default, 1 ignored,
// else a handler.
func disposition(t *testing.T, sig syscall.Signal) uint64 {
	t.Helper()
	var old kSigaction
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 {
		t.Fatalf("rt_sigaction %d: %v", sig, e)
	}
	return old.handler
}

// The Go init's exec path (an exec with an LSM label): signals ignored
// before it (the Go runtime keeps SIGHUP ignored when its caller ignored
// it) are at their default action after defaultSignals; one the runtime
// handles keeps its handler, which the execve resets.
func TestDefaultSignals(t *testing.T) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	defer signal.Stop(ch)
	signal.Ignore(syscall.SIGHUP, syscall.SIGUSR2)
	defer signal.Reset(syscall.SIGHUP, syscall.SIGUSR2)
	for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR2} {
		if d := disposition(t, s); d != 1 {
			t.Fatalf("%v: disposition %#x before, want ignored", s, d)
		}
	}
	defaultSignals()
	for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR2} {
		if d := disposition(t, s); d != 0 {
			t.Errorf("%v: disposition %#x, want the default", s, d)
		}
	}
	if d := disposition(t, syscall.SIGWINCH); d <= 1 {
		t.Errorf("SIGWINCH: disposition %#x, want the runtime's handler kept", d)
	}
}
