// Package trace prints the phases of one hako command with their times,
// so that anyone can see where a command's time goes: `make bench` shows
// them next to its ratios (docs/performance.md).
//
// Enabled by HAKO_TRACE in hako's environment: "1" (or "stderr") writes to
// standard error, any other value is a file that the lines are appended
// to. One line per phase:
//
//	hako-trace pid=<pid> at=<unix ns> t=<ms since exec> d=<ms since previous> <phase>
//
// t counts from the moment the process's image started running code (the
// C constructor in nsenter, before the Go runtime), so the first line,
// "go runtime started", is what the Go runtime and the package
// initialisation cost. The init started by create, run or exec traces to
// the same place (the host passes it the fd as _HAKO_TRACEFD), its lines
// prefixed "init:", and its C stage "nsenter:". The container's process
// never sees either variable: the init gets an environment of its own.
package trace

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/hako-runtime/hako/nsenter"
)

var (
	mu      sync.Mutex
	out     *os.File
	prefix  string
	pid     string
	t0, prv time.Time
)

func init() {
	if v := os.Getenv("_HAKO_TRACEFD"); v != "" {
		if fd, err := strconv.Atoi(v); err == nil && fd > 2 {
			out = os.NewFile(uintptr(fd), "trace")
			prefix = "init: "
		}
		os.Unsetenv("_HAKO_TRACEFD")
	} else if v := os.Getenv("HAKO_TRACE"); v != "" && v != "0" {
		switch v {
		case "1", "stderr":
			out = os.Stderr
		default:
			f, err := os.OpenFile(v, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				fmt.Fprintf(os.Stderr, "hako: HAKO_TRACE %s: %v\n", v, err)
				return
			}
			out = f
		}
	}
	if out == nil {
		return
	}
	pid = strconv.Itoa(os.Getpid())
	t0 = time.Unix(nsenter.ConstructorTime())
	prv = t0
	Mark("go runtime started")
}

// File is where the lines go (nil when tracing is off), for the host to
// pass on to the init.
func File() *os.File { return out }

// Mark prints one phase line (see the package documentation); a no-op
// unless tracing is on.
func Mark(phase string) {
	if out == nil {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	now := time.Now()
	fmt.Fprintf(out, "hako-trace pid=%s at=%d t=%.3f d=%.3f %s%s\n", pid, now.UnixNano(),
		ms(now.Sub(t0)), ms(now.Sub(prv)), prefix, phase)
	prv = now
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
