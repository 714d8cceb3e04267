package fs2

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func put(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// On a plain directory standing in for cgroupfs: Create enables the
// parents' controllers on the way down, Set writes the planned values.
func TestCreateAndSetOnDir(t *testing.T) {
	root := t.TempDir()
	put(t, filepath.Join(root, "cgroup.controllers"), "cpu memory pids\n")
	put(t, filepath.Join(root, "cgroup.subtree_control"), "cpu\n")
	if _, err := New(root, "/elsewhere"); err == nil {
		t.Fatal("a cgroup outside the mount was accepted")
	}
	m, err := New(root, filepath.Join(root, "a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	// "a" exists already with its own controllers.
	put(t, filepath.Join(root, "a", "cgroup.controllers"), "memory pids\n")
	put(t, filepath.Join(root, "a", "cgroup.subtree_control"), "")
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	if got := get(t, filepath.Join(root, "cgroup.subtree_control")); got != "+memory +pids" {
		t.Errorf("root subtree_control = %q (cpu was already on)", got)
	}
	if got := get(t, filepath.Join(root, "a", "cgroup.subtree_control")); got != "+memory +pids" {
		t.Errorf("a subtree_control = %q", got)
	}
	dir := filepath.Join(root, "a", "b")
	for _, f := range []string{"memory.max", "memory.swap.max", "pids.max", "cgroup.procs"} {
		put(t, filepath.Join(dir, f), "")
	}
	limit, pids := int64(1<<20), int64(5)
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}, Pids: &specs.LinuxPids{Limit: &pids}}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, filepath.Join(dir, "memory.max")); got != "1048576" {
		t.Errorf("memory.max = %q", got)
	}
	if got := get(t, filepath.Join(dir, "pids.max")); got != "5" {
		t.Errorf("pids.max = %q", got)
	}
	// A missing file fails naming it.
	q := int64(1000)
	err = m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: &q}})
	if err == nil || !strings.Contains(err.Error(), "cpu.max") {
		t.Errorf("missing cpu.max: %v", err)
	}
	// Disabling swap where the kernel has no swap accounting is fine.
	os.Remove(filepath.Join(dir, "memory.swap.max"))
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit, Swap: &limit}}); err != nil {
		t.Errorf("no swap accounting: %v", err)
	}
	if err := m.Apply(1234); err != nil || get(t, filepath.Join(dir, "cgroup.procs")) != "1234" {
		t.Errorf("Apply(pid): %v", err)
	}
}
