package nsenter

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary carries the same constructor as hako, so started as
// "hako-init <fd> <path> <argv...>" it is the C waiting stage (hako_wait)
// and never reaches the Go runtime.

// output is a process's stdout and stderr, in a file: the process writes
// it directly (no copying goroutine racing with the test's reads).
type output struct{ path string }

func (o output) String() string {
	b, _ := os.ReadFile(o.path)
	return string(b)
}

func (o output) Len() int { return len(o.String()) }

// waiter starts the stage with a fifo at fd 3 and returns it with the
// write end of the fifo and the combined output.
func waiter(t *testing.T, args ...string) (*exec.Cmd, *os.File, output) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "exec.fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	rw, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rw.Close() })
	out := output{filepath.Join(t.TempDir(), "out")}
	of, err := os.Create(out.path)
	if err != nil {
		t.Fatal(err)
	}
	defer of.Close()
	cmd := &exec.Cmd{
		Path:       self,
		Args:       append([]string{"hako-init", "3"}, args...),
		Env:        []string{"WAITER_ENV=kept"},
		ExtraFiles: []*os.File{rw},
		Stdout:     of,
		Stderr:     of,
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, rw, out
}

// status reads /proc/<pid>/status once the stage has named itself.
func status(t *testing.T, pid int) string {
	t.Helper()
	for i := 0; i < 200; i++ {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err == nil && strings.Contains(string(b), "Name:\thako:init") {
			return string(b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the waiting stage never named itself hako:init")
	return ""
}

// TestMain refuses to run the tests in a copy of this binary that the
// constructor did not take over (argv[0] not "hako-init"): it would start
// waiters of its own, and so on.
func TestMain(m *testing.M) {
	for _, a := range os.Args[1:] {
		if a == "hako-init" {
			os.Exit(3)
		}
	}
	// a stage whose applier returned (it must not) is not a test run
	if os.Getenv("_HAKO_SYNCFD") != "" {
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func TestWaitThenExec(t *testing.T) {
	cmd, rw, out := waiter(t, "/bin/sh", "sh", "-c", `echo "run $0 $WAITER_ENV"`, "zero")
	st := status(t, cmd.Process.Pid)
	if !strings.Contains(st, "Threads:\t1\n") {
		t.Errorf("the waiting stage has more than one thread (a Go runtime?):\n%s", st)
	}
	time.Sleep(50 * time.Millisecond)
	if out.Len() != 0 {
		t.Fatalf("the stage ran the process before the fifo was written: %q", out.String())
	}
	if _, err := rw.Write([]byte{'0'}); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if got, want := out.String(), "run zero kept\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestWaitClosesFifo(t *testing.T) {
	cmd, rw, out := waiter(t, "/bin/ls", "ls", "-l", "/proc/self/fd")
	status(t, cmd.Process.Pid)
	rw.Write([]byte{'0'})
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	// closed before the execve (whatever else the test's caller left open)
	if strings.Contains(out.String(), "exec.fifo") || !strings.Contains(out.String(), " 1 -> ") {
		t.Errorf("fds of the process:\n%s", out.String())
	}
}

func TestWaitExecFailure(t *testing.T) {
	cmd, rw, out := waiter(t, "/no/such/binary", "nosuch")
	status(t, cmd.Process.Pid)
	rw.Write([]byte{'0'})
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 127 {
		t.Fatalf("exit %v, want status 127", err)
	}
	if !strings.Contains(out.String(), `hako init: exec "nosuch": no such file or directory`) {
		t.Errorf("output %q", out.String())
	}
}

func TestWaitNotAFifo(t *testing.T) {
	self, _ := os.Executable()
	cmd := &exec.Cmd{Path: self, Args: []string{"hako-init", "0", "/bin/true", "true"}}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1", err)
	}
	if !strings.Contains(string(out), "fd 0 is not the exec fifo") {
		t.Errorf("output %q", out)
	}
}

func TestWaitTermStops(t *testing.T) {
	cmd, _, _ := waiter(t, "/bin/true", "true")
	status(t, cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("wait: %v, status %v: want killed by SIGTERM (not pid 1: the default action)", err, ws)
	}
}

func TestNofileAtStartOutsideInit(t *testing.T) {
	if _, _, ok := NofileAtStart(); ok {
		t.Error("NofileAtStart is known outside hako init")
	}
}
