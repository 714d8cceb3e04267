package seccomp

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Load installs p with seccomp(SECCOMP_SET_MODE_FILTER) on the calling
// thread and, through SECCOMP_FILTER_FLAG_TSYNC, on every other thread of
// the process. It is meant for the container init as the last step before
// execve; it makes no libseccomp call, only seccomp(2).
//
// The kernel requires no_new_privs or CAP_SYS_ADMIN in the caller's user
// namespace; Load does not set no_new_privs (that is process.noNewPrivileges).
// The caller should hold runtime.LockOSThread.
//
// When p.Notify is set the returned notifyFd is the listener fd (close on
// exec); otherwise it is -1. A nil program loads nothing and returns -1.
func Load(p *Program) (notifyFd int, err error) {
	if p == nil {
		return -1, nil
	}
	if err := p.validate(); err != nil {
		return -1, fmt.Errorf("load seccomp filter: %w", err)
	}
	filters := p.sockFilters()
	prog := unix.SockFprog{Len: uint16(len(filters)), Filter: &filters[0]}
	fd, err := seccompSetFilter(p.Flags, &prog)
	if errors.Is(err, unix.EINVAL) && p.Flags&unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH != 0 {
		// Kernels before 5.7 know no TSYNC_ESRCH and refuse TSYNC with
		// a listener: load for this thread only, which is what survives
		// execve anyway.
		fd, err = seccompSetFilter(p.Flags&^(unix.SECCOMP_FILTER_FLAG_TSYNC|unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH), &prog)
	}
	runtime.KeepAlive(filters)
	if err != nil {
		if errors.Is(err, unix.EACCES) {
			return -1, fmt.Errorf("load seccomp filter: %w (no_new_privs or CAP_SYS_ADMIN is required)", err)
		}
		return -1, fmt.Errorf("load seccomp filter: %w", err)
	}
	if !p.Notify {
		if fd != 0 {
			// With TSYNC and no listener, a positive return is the
			// id of a thread that could not be synchronised.
			return -1, fmt.Errorf("load seccomp filter: thread %d could not be synchronised", fd)
		}
		return -1, nil
	}
	return fd, nil
}

func seccompSetFilter(flags uint, prog *unix.SockFprog) (int, error) {
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(prog)))
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}
