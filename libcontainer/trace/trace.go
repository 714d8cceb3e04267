// Package trace prints the phases of one hako command with their times,
// so that anyone can see where a command's time goes: `make bench` shows
// them next to its ratios (docs/performance.md).
//
// Enabled by HAKO_TRACE in hako's environment: "1" (or "stderr") writes to
// standard error, any other value is a file that the lines are appended
// to. One line per phase:
//
//	hako-trace pid=<pid> at=<unix ns> t=<ms since start> d=<ms since previous> <phase>
//
// "start" is the first line, printed when the Go runtime has started and
// the packages are initialised; at= lets a caller that noted the time of
// its fork compute what the exec and the runtime start cost before it.
// The container's process never sees HAKO_TRACE: the init is started with
// an environment of its own.
package trace

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

var (
	mu      sync.Mutex
	out     *os.File
	pid     string
	t0, prv time.Time
)

func init() {
	v := os.Getenv("HAKO_TRACE")
	if v == "" || v == "0" {
		return
	}
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
	pid = strconv.Itoa(os.Getpid())
	t0 = time.Now()
	prv = t0
	Mark("start")
}

// Enabled says whether phases are being printed.
func Enabled() bool { return out != nil }

// Mark prints one phase line (see the package documentation); a no-op
// unless HAKO_TRACE is set.
func Mark(phase string) {
	if out == nil {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	now := time.Now()
	fmt.Fprintf(out, "hako-trace pid=%s at=%d t=%.3f d=%.3f %s\n", pid, now.UnixNano(),
		ms(now.Sub(t0)), ms(now.Sub(prv)), phase)
	prv = now
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
