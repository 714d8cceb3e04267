package cgroups

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups/internal/common"
)

const rootlessEnv = "HAKO_CGROUPS_ROOTLESS_HELPER"

// TestRootRootlessDelegated delegates a v2 subtree to nobody (chown of
// the directory, cgroup.procs and cgroup.subtree_control, as systemd
// does) and runs TestRootlessHelper as nobody inside it.
func TestRootRootlessDelegated(t *testing.T) {
	if needRoot(t) != Unified {
		t.Skip("delegation needs cgroup v2")
	}
	const nobody = 65534
	deleg := filepath.Join(DefaultRoot, randomPrefix(t))
	start := filepath.Join(deleg, "start")
	if err := os.MkdirAll(start, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if pids, _ := common.AllProcs(deleg); len(pids) > 0 {
			_ = common.SignalAll(pids, unix.SIGKILL)
		}
		if err := common.RemoveTree(deleg); err != nil {
			t.Error(err)
		}
	})
	if err := common.WriteFile(deleg, "cgroup.subtree_control", "+pids +memory"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{deleg, start} {
		for _, f := range []string{"", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"} {
			if err := os.Chown(filepath.Join(p, f), nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
	}
	fd, err := unix.Open(start, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^TestRootlessHelper$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), rootlessEnv+"="+strings.TrimPrefix(deleg, DefaultRoot))
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential:  &syscall.Credential{Uid: nobody, Gid: nobody},
		UseCgroupFD: true, CgroupFD: fd, // start inside the delegated subtree
	}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestRootlessHelper") {
		t.Fatalf("helper as nobody: %v\n%s", err, out)
	}
}

// TestRootlessHelper runs as nobody inside a delegated subtree.
func TestRootlessHelper(t *testing.T) {
	deleg := os.Getenv(rootlessEnv)
	if deleg == "" {
		t.Skip("only run by TestRootRootlessDelegated")
	}
	if os.Geteuid() == 0 {
		t.Fatal("helper runs as root")
	}
	sleep := exec.Command("sleep", "100")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sleep.Process.Kill(); _ = sleep.Wait() }()

	limit := int64(7)
	res := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}
	m, err := New(Config{Path: deleg + "/ctr", ID: "ctr", Rootless: true, Resources: res})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(sleep.Process.Pid); err != nil {
		t.Fatalf("apply in the delegated subtree: %v", err)
	}
	if err := m.Set(res); err != nil {
		t.Fatalf("set: %v", err)
	}
	if got, _ := common.ReadFile(m.Path(""), "pids.max"); got != "7" {
		t.Errorf("pids.max = %q", got)
	}
	if err := m.Freeze(); err != nil {
		t.Errorf("freeze: %v", err)
	}
	if err := m.Kill(unix.SIGKILL); err != nil {
		t.Errorf("kill: %v", err)
	}
	_ = sleep.Wait()
	if err := m.Destroy(); err != nil {
		t.Errorf("destroy: %v", err)
	}

	// An explicit cgroupsPath outside the delegation is refused, with or
	// without limits, as in runc (only the default cgroup may be done
	// without: ErrRootless, TestWithoutCgroup and rootless.bats).
	outside := "/" + filepath.Base(deleg) + "-not-delegated"
	for _, r := range []*specs.LinuxResources{nil, res} {
		m2, err := New(Config{Path: outside, ID: "x", Rootless: true, Resources: r})
		if err != nil {
			t.Fatal(err)
		}
		err = m2.Apply(os.Getpid())
		if err == nil || errors.Is(err, ErrRootless) || !errors.Is(err, os.ErrPermission) {
			t.Errorf("explicit cgroupsPath outside the delegation (limits %v): %v", r != nil, err)
		}
	}
}
