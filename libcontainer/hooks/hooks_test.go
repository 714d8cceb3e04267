package hooks

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	one := 1
	st := &specs.State{Version: "1.3.0", ID: "c1", Status: specs.StateCreated, Pid: 42, Bundle: "/b"}
	ok := specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", `cat > "$OUT"; echo "$1" >> "$OUT"`, "sh", "arg1"}, Env: []string{"OUT=" + out}}
	if err := Run("poststart", []specs.Hook{ok}, st, Opts{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), `"id":"c1"`) || !strings.Contains(string(b), `"pid":42`) || !strings.HasSuffix(string(b), "arg1\n") {
		t.Fatalf("hook saw %q", b)
	}
	fail := specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "echo boom >&2; exit 3"}}
	err := Run("createRuntime", []specs.Hook{ok, fail}, st, Opts{})
	if err == nil || !strings.Contains(err.Error(), "error running createRuntime hook #1 (/bin/sh): exit status 3") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v", err)
	}
	slow := specs.Hook{Path: "/bin/sleep", Args: []string{"sleep", "5"}, Timeout: &one}
	if err := Run("prestart", []specs.Hook{slow}, st, Opts{}); err == nil || !strings.Contains(err.Error(), "hook ran past specified timeout of 1.0s") {
		t.Fatalf("err = %v", err)
	}
}

// A hook past its timeout is killed with what it started: a shell's
// child must not outlive it.
func TestRunTimeoutKillsChildren(t *testing.T) {
	one := 1
	pidFile := filepath.Join(t.TempDir(), "pid")
	h := specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", `sleep 100 & echo $! > "$1"; wait`, "sh", pidFile}, Timeout: &one}
	start := time.Now()
	err := Run("createRuntime", []specs.Hook{h}, &specs.State{}, Opts{})
	if err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("Run took %s: the child held its output open", d)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	for i := 0; ; i++ {
		// gone, or a zombie waiting for the reaper
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(st), ") Z ") {
			break
		}
		if i == 100 {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the hook's child %d outlived its timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
