package libcontainer

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ParseSignal accepts what runc accepts: a number, or a name with or
// without "SIG" in any case ("9", "KILL", "sigterm", "RTMIN+3"). 0 is
// the liveness check of kill(2): engines send it to ask "still alive?".
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal number %d", n)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if rest, ok := strings.CutPrefix(name, "SIGRTMIN"); ok {
		return rtSignal(34, rest, s)
	}
	if rest, ok := strings.CutPrefix(name, "SIGRTMAX"); ok {
		return rtSignal(64, rest, s)
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

func rtSignal(base int, off, orig string) (unix.Signal, error) {
	if off == "" {
		return unix.Signal(base), nil
	}
	n, err := strconv.Atoi(off)
	if err != nil || base+n < 34 || base+n > 64 {
		return 0, fmt.Errorf("unknown signal %q", orig)
	}
	return unix.Signal(base + n), nil
}
