package seccomp

import (
	"fmt"
	"sort"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// These lists feed `hako features`: each is derived from the tables the
// compiler uses (or from probing the kernel and libseccomp), so the claims
// cannot drift from what a profile may contain.

// Actions returns every profile action the compiler translates.
func Actions() []string {
	var out []string
	for _, a := range []specs.LinuxSeccompAction{
		specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap, specs.ActErrno,
		specs.ActTrace, specs.ActAllow, specs.ActLog, specs.ActNotify,
	} {
		if _, err := action("", "", a, nil); err == nil {
			out = append(out, string(a))
		}
	}
	return out
}

// Operators returns every argument comparison operator.
func Operators() []string {
	out := make([]string, 0, len(operators))
	for op := range operators {
		out = append(out, string(op))
	}
	sort.Strings(out)
	return out
}

// Archs returns the profile architectures the linked libseccomp can add to
// a filter: older libseccomp releases lack some of the spec's list, and
// one filter holds only architectures of the native byte order.
var Archs = sync.OnceValue(func() []string {
	var out []string
	f, err := libseccomp.NewFilter(libseccomp.ActAllow)
	if err != nil {
		return nil
	}
	defer f.Release()
	for name, info := range archs {
		if ok, _ := f.IsArchPresent(info.scmp); ok || f.AddArch(info.scmp) == nil {
			out = append(out, string(name))
		}
	}
	sort.Strings(out)
	return out
})

// KnownFlags returns the linux.seccomp.flags values hako recognises.
func KnownFlags() []string {
	out := make([]string, 0, len(filterFlags))
	for f := range filterFlags {
		out = append(out, string(f))
	}
	sort.Strings(out)
	return out
}

// SupportedFlags returns the known flags the running kernel accepts: a
// seccomp(SECCOMP_SET_MODE_FILTER) call with a flag and no program fails
// with EFAULT when the flag is understood and EINVAL when it is not.
var SupportedFlags = sync.OnceValue(func() []string {
	var out []string
	for name, bit := range filterFlags {
		if bit == unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV {
			// Only meaningful, and only accepted, with a listener.
			bit |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
		}
		if KernelAcceptsFlags(bit) {
			out = append(out, string(name))
		}
	}
	sort.Strings(out)
	return out
})

// KernelAcceptsFlags reports whether the running kernel knows the
// SECCOMP_FILTER_FLAG_* bits (together): seccomp(SECCOMP_SET_MODE_FILTER)
// with them and no program fails with EFAULT when it does and EINVAL
// when it does not. Nothing is installed either way.
func KernelAcceptsFlags(bits uint) bool {
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(bits), 0)
	return errno == unix.EFAULT
}

// LibraryVersion is the version of the libseccomp hako is linked with.
func LibraryVersion() string {
	ma, mi, pa := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", ma, mi, pa)
}
