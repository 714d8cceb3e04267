package seccomp

// The child side of the load tests. TestMain re-executes the test binary
// with envChild set; the child loads a Program the parent compiled (like
// the container init does), makes raw syscalls and prints
// "<nr> <errno>" per call, or execs a program under the filter.

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

const (
	envChild = "HAKO_SECCOMP_TEST_CHILD" // path of the Program JSON
	envCalls = "HAKO_SECCOMP_TEST_CALLS" // "[@]nr[,arg...];..."; @ = on a thread started before Load
	envExec  = "HAKO_SECCOMP_TEST_EXEC"  // unit-separator (0x1f) separated argv to exec after the calls
	envNoNNP = "HAKO_SECCOMP_TEST_NO_NNP"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(envChild); path != "" {
		os.Exit(childMain(path))
	}
	os.Exit(m.Run())
}

type rawCall struct {
	early bool // run on the thread that existed before Load
	nr    uintptr
	args  [6]uintptr
}

func parseCalls(s string) ([]rawCall, error) {
	var out []rawCall
	for _, item := range strings.Split(s, ";") {
		if item == "" {
			continue
		}
		var c rawCall
		if strings.HasPrefix(item, "@") {
			c.early, item = true, item[1:]
		}
		for i, f := range strings.Split(item, ",") {
			v, err := strconv.ParseUint(f, 0, 64)
			if err != nil || i > 6 {
				return nil, fmt.Errorf("bad call %q", item)
			}
			if i == 0 {
				c.nr = uintptr(v)
			} else {
				c.args[i-1] = uintptr(v)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func (c rawCall) do() unix.Errno {
	_, _, e := unix.RawSyscall6(c.nr, c.args[0], c.args[1], c.args[2], c.args[3], c.args[4], c.args[5])
	return e
}

func childMain(path string) int {
	runtime.LockOSThread()
	calls, err := parseCalls(os.Getenv(envCalls))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	var p Program
	if err := json.Unmarshal(data, &p); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	var argv []string
	if s := os.Getenv(envExec); s != "" {
		argv = strings.Split(s, "\x1f")
	}

	// A thread that exists before Load: with TSYNC it is filtered too.
	work, results := make(chan rawCall), make(chan unix.Errno)
	ready := make(chan struct{})
	go func() {
		runtime.LockOSThread() // keep this goroutine on its own OS thread
		close(ready)
		for c := range work {
			results <- c.do()
		}
	}()
	<-ready

	if os.Getenv(envNoNNP) == "" {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			fmt.Fprintln(os.Stderr, "set no_new_privs:", err)
			return 3
		}
	}
	fd, err := Load(&p)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 4
	}
	var out strings.Builder
	fmt.Fprintf(&out, "loaded %d\n", fd)
	os.Stdout.WriteString(out.String())
	for _, c := range calls {
		var e unix.Errno
		if c.early {
			work <- c
			e = <-results
		} else {
			e = c.do()
		}
		fmt.Fprintf(os.Stdout, "%d %d\n", c.nr, int(e))
	}
	if argv != nil {
		err := syscall.Exec(argv[0], argv, os.Environ())
		fmt.Fprintln(os.Stderr, "exec:", err)
		return 5
	}
	return 0
}
