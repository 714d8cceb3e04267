package cgroups

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups/internal/common"
)

// Root tests create real cgroups below /hako-test-<random> in every
// hierarchy of the host (v1 hybrid) or the VM (v2) and remove them, and
// the prefix, in t.Cleanup even when the test fails.

func needRoot(t *testing.T) Mode {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	mode := DetectMode(DefaultRoot)
	if mode == Unavailable {
		t.Skip("no cgroups")
	}
	return mode
}

func randomPrefix(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "hako-test-" + hex.EncodeToString(b)
}

// newManager returns a manager for /<prefix>/ctr whose cgroups (and the
// prefix) are gone after the test; it fails the test if anything is left.
func newManager(t *testing.T, cfg Config) Manager {
	t.Helper()
	prefix := randomPrefix(t)
	if cfg.Path == "" {
		cfg.Path = "/" + prefix + "/ctr"
	}
	cfg.ID = "ctr"
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.Thaw()
		_ = m.Kill(unix.SIGKILL)
		for i := 0; i < 200; i++ {
			if p, _ := m.Pids(); len(p) == 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := m.Destroy(); err != nil {
			t.Errorf("destroy: %v", err)
		}
		if err := m.Destroy(); err != nil {
			t.Errorf("second destroy: %v", err)
		}
		for _, p := range m.Paths() {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("left behind: %s", p)
			}
			if strings.Contains(p, prefix) {
				_ = common.RemoveTree(filepath.Dir(p))
			}
		}
	})
	return m
}

// child is a shell placed in the cgroup before it runs its script: it
// waits for a line on stdin first.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	errBuf *lockedBuf
	done   chan error
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func startChild(t *testing.T, m Manager, script string) *child {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", "read go; "+script)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout), errBuf: &lockedBuf{}, done: make(chan error, 1)}
	// An *os.File as stderr: Wait then returns when the shell exits, even
	// if background children still hold the pipe.
	er, ew, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = ew
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ew.Close()
	go func() { _, _ = io.Copy(c.errBuf, er); er.Close() }()
	go func() { c.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = m.Thaw() // frozen tasks cannot die on v1
		_ = cmd.Process.Kill()
		_ = m.Kill(unix.SIGKILL)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			t.Errorf("child %d did not exit", cmd.Process.Pid)
		}
	})
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatalf("apply: %v", err)
	}
	return c
}

func (c *child) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(c.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

func (c *child) line(t *testing.T) string {
	t.Helper()
	ch := make(chan string, 1)
	go func() { s, _ := c.out.ReadString('\n'); ch <- strings.TrimSpace(s) }()
	select {
	case s := <-ch:
		return s
	case <-time.After(20 * time.Second):
		t.Fatal("no output from child")
		return ""
	}
}

func (c *child) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err
		return err
	case <-time.After(timeout):
		t.Fatal("child did not exit")
		return nil
	}
}

func readFile(t *testing.T, m Manager, ctrl, file string) string {
	t.Helper()
	s, err := common.ReadFile(m.Path(ctrl), file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }

func TestRootLifecycle(t *testing.T) {
	mode := needRoot(t)
	m := newManager(t, Config{})
	c := startChild(t, m, "while :; do echo tick; sleep 0.02; done")
	pid := c.cmd.Process.Pid

	pids, err := m.Pids()
	if err != nil || !slices.Contains(pids, pid) {
		t.Fatalf("Pids = %v, %v; want %d", pids, err, pid)
	}
	for ctrl, dir := range m.Paths() {
		if procs, _ := common.ReadProcs(dir); !slices.Contains(procs, pid) {
			t.Errorf("%q (%s): pid %d not in cgroup.procs %v", ctrl, dir, pid, procs)
		}
	}

	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i64(64 << 20), Reservation: i64(32 << 20)},
		CPU:    &specs.LinuxCPU{Shares: u64(512), Quota: i64(50000), Period: u64(100000), Cpus: "0", Mems: "0"},
		Pids:   &specs.LinuxPids{Limit: i64(20)},
	}
	if err := m.Set(r); err != nil {
		t.Fatalf("set: %v", err)
	}
	want := map[[2]string]string{}
	if mode == Unified {
		want = map[[2]string]string{
			{"", "memory.max"}: "67108864", {"", "memory.low"}: "33554432", {"", "cpu.weight"}: "59",
			{"", "cpu.max"}: "50000 100000", {"", "pids.max"}: "20", {"", "cpuset.cpus"}: "0", {"", "cpuset.mems"}: "0",
		}
	} else {
		want = map[[2]string]string{
			{"memory", "memory.limit_in_bytes"}: "67108864", {"memory", "memory.soft_limit_in_bytes"}: "33554432",
			{"cpu", "cpu.shares"}: "512", {"cpu", "cpu.cfs_quota_us"}: "50000", {"cpu", "cpu.cfs_period_us"}: "100000",
			{"pids", "pids.max"}: "20", {"cpuset", "cpuset.cpus"}: "0", {"cpuset", "cpuset.mems"}: "0",
		}
	}
	for k, v := range want {
		if got := readFile(t, m, k[0], k[1]); got != v {
			t.Errorf("%s = %q, want %q", k[1], got, v)
		}
	}

	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Pids.Current < 1 || st.Pids.Limit != 20 || st.Memory.Usage.Limit != 64<<20 {
		t.Errorf("stats: pids %+v, memory limit %d", st.Pids, st.Memory.Usage.Limit)
	}
	if !slices.Equal(st.CPUSet.CPUs, []uint16{0}) {
		t.Errorf("stats cpuset cpus = %v", st.CPUSet.CPUs)
	}

	// Frozen: the ticking shell makes no progress; thawed: it goes on.
	c.send(t, "go")
	c.line(t)
	go func() { // keep the pipe drained
		for {
			if _, err := c.out.ReadString('\n'); err != nil {
				return
			}
		}
	}()
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if f, err := m.Frozen(); err != nil || !f {
		t.Fatalf("Frozen = %v, %v", f, err)
	}
	before := activity(t, pid)
	time.Sleep(300 * time.Millisecond)
	if after := activity(t, pid); after != before {
		t.Errorf("frozen shell made progress: %q -> %q", before, after)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if f, _ := m.Frozen(); f {
		t.Error("still frozen after Thaw")
	}
	deadline := time.Now().Add(10 * time.Second)
	for activity(t, pid) == before {
		if time.Now().After(deadline) {
			t.Fatal("thawed shell does not run")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Kill of a paused container works.
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := m.Kill(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = c.wait(t, 10*time.Second)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("child exit: %v, want SIGKILL", err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if err := m.Destroy(); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	for _, p := range m.Paths() {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still exists after Destroy", p)
		}
	}
	if pids, err := m.Pids(); err != nil || len(pids) != 0 {
		t.Errorf("Pids after destroy = %v, %v", pids, err)
	}
	if f, err := m.Frozen(); err != nil || f {
		t.Errorf("Frozen after destroy = %v, %v", f, err)
	}
}

// activity is the shell's context switch count: its loop forks a sleep
// every 20ms, so the count only stands still while it is frozen.
func activity(t *testing.T, pid int) string {
	t.Helper()
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "voluntary_ctxt_switches") {
			return l
		}
	}
	t.Fatal("no voluntary_ctxt_switches")
	return ""
}
