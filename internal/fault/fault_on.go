//go:build hako_faults

package fault

import (
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Enabled is true in the hako_faults build.
const Enabled = true

var (
	self    = os.Getenv("HAKO_FAULT")
	initPt  = os.Getenv("HAKO_FAULT_INIT")
	stopPt  = os.Getenv("HAKO_FAULT_STOP")
	logPath = os.Getenv("HAKO_FAULT_LOG")
)

// match: a point named exactly, or by a prefix ending in "*" (criu.*: the
// first of criu.request and criu.<notification> reached).
func match(pattern, name string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return p != "" && strings.HasPrefix(name, p)
	}
	return pattern == name
}

// Point logs name, then kills the init (pid) or this process if the
// environment names this point. SIGKILL, as an OOM kill or an engine's
// timeout would: no deferred cleanup runs.
func Point(name string, pid int) {
	if logPath != "" {
		if f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
			f.WriteString(name + "\n")
			f.Close()
		}
	}
	if match(initPt, name) && pid > 0 {
		unix.Kill(pid, unix.SIGKILL)
	}
	if match(stopPt, name) {
		// The test acts (another command) while this one is held
		// here, then sends SIGCONT: a race made to happen.
		unix.Kill(unix.Getpid(), unix.SIGSTOP)
	}
	if match(self, name) {
		unix.Kill(unix.Getpid(), unix.SIGKILL)
		select {}
	}
}
