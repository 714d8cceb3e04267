// Package caps maps capability names to numbers and applies the five OCI
// capability sets to the calling thread. The tables are pure; Apply is
// called by the init on its locked OS thread just before execve.
package caps

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// names is indexed by capability number (linux/capability.h).
var names = [...]string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// Number returns the number of a capability name ("CAP_X" or "x", any case).
func Number(name string) (int, bool) {
	n := strings.ToUpper(name)
	if !strings.HasPrefix(n, "CAP_") {
		n = "CAP_" + n
	}
	for i, v := range names {
		if v == n {
			return i, true
		}
	}
	return 0, false
}

// Set is a capability bitmask (bit n = capability n).
type Set uint64

// Parse turns a list of names into a Set. As in runc (and crun), a name
// must be spelled exactly as the kernel headers do ("CAP_KILL") and be
// known to the running kernel; any other is returned in unknown, to be
// warned about and skipped, so that a spec written for a newer kernel
// still runs.
func Parse(list []string) (s Set, unknown []string) {
	for _, c := range list {
		n, ok := exact(c)
		if !ok {
			unknown = append(unknown, c)
			continue
		}
		s |= 1 << uint(n)
	}
	return s, unknown
}

func exact(name string) (int, bool) {
	for i, v := range names[:min(Last()+1, len(names))] {
		if v == name {
			return i, true
		}
	}
	return 0, false
}

var lastCap = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n < 64 {
			return n
		}
	}
	return len(names) - 1
})

// Last is the highest capability the running kernel knows.
func Last() int { return lastCap() }

// Names lists the capabilities both hako and the running kernel know.
func Names() []string {
	n := min(Last()+1, len(names))
	return append([]string(nil), names[:n]...)
}
