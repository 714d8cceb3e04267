package initproc

import (
	"fmt"
	"runtime"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/validate"
)

// applyKernelPolicy sets linux.personality and linux.memoryPolicy on the
// calling thread, the init's main thread, which calls execve: both are
// kept across it. Only the caller can set either, so the init does it.
func applyKernelPolicy(l *specs.Linux) error {
	if l.Personality != nil {
		v, err := validate.Personality(l.Personality)
		if err != nil {
			return err
		}
		if _, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, uintptr(v), 0, 0); errno != 0 {
			return fmt.Errorf("linux.personality: %w", errno)
		}
	}
	if p := l.MemoryPolicy; p != nil {
		mode, mask, err := validate.MemPolicy(p)
		if err != nil {
			return err
		}
		var errno unix.Errno
		if len(mask) == 0 {
			// No mask is a NULL pointer: the kernel refuses a pointer
			// with a zero maxnode.
			_, _, errno = unix.Syscall(unix.SYS_SET_MEMPOLICY, uintptr(mode), 0, 0)
		} else {
			// The kernel reads maxnode-1 bits.
			_, _, errno = unix.Syscall(unix.SYS_SET_MEMPOLICY, uintptr(mode), uintptr(unsafe.Pointer(&mask[0])), uintptr(len(mask)*64+1))
			runtime.KeepAlive(mask)
		}
		if errno != 0 {
			return fmt.Errorf("linux.memoryPolicy: set_mempolicy: %w", errno)
		}
	}
	return nil
}
