package fs1

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

// On plain directories standing in for v1 hierarchies: new cpuset
// cgroups get their parent's cpus and mems, devices are written as a
// transition from devices.list, and the pid joins every hierarchy once.
func TestApplyAndSetOnDirs(t *testing.T) {
	root := t.TempDir()
	cs := filepath.Join(root, "cpuset")
	put(t, filepath.Join(cs, "cpuset.cpus"), "0-3")
	put(t, filepath.Join(cs, "cpuset.mems"), "0")
	for _, d := range []string{"x", "x/c1"} { // what the kernel would show in new cgroups
		put(t, filepath.Join(cs, d, "cpuset.cpus"), "")
		put(t, filepath.Join(cs, d, "cpuset.mems"), "")
		put(t, filepath.Join(cs, d, "cgroup.procs"), "")
	}
	cpuDir := filepath.Join(root, "cpu,cpuacct", "x", "c1")
	devDir := filepath.Join(root, "devices", "x", "c1")
	put(t, filepath.Join(cpuDir, "cgroup.procs"), "")
	put(t, filepath.Join(cpuDir, "cpu.shares"), "")
	put(t, filepath.Join(devDir, "cgroup.procs"), "")
	put(t, filepath.Join(devDir, "devices.list"), "a *:* rwm\n")
	put(t, filepath.Join(devDir, "devices.allow"), "")
	put(t, filepath.Join(devDir, "devices.deny"), "")

	m := New(map[string]string{
		"cpuset": filepath.Join(cs, "x", "c1"), "cpu": cpuDir, "cpuacct": cpuDir, "devices": devDir,
	}, map[string]string{"cpuset": cs})
	if err := m.Apply(42); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"x", "x/c1"} {
		if c, mm := get(t, filepath.Join(cs, d, "cpuset.cpus")), get(t, filepath.Join(cs, d, "cpuset.mems")); c != "0-3" || mm != "0" {
			t.Errorf("%s: cpus %q mems %q, want the parent's", d, c, mm)
		}
	}
	if got := get(t, filepath.Join(cpuDir, "cgroup.procs")); got != "42" {
		t.Errorf("cpu,cpuacct cgroup.procs = %q", got)
	}
	shares := uint64(256)
	maj, min := int64(1), int64(3)
	err := m.Set(&specs.LinuxResources{
		CPU:     &specs.LinuxCPU{Shares: &shares},
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Major: &maj, Minor: &min, Access: "rw"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, filepath.Join(cpuDir, "cpu.shares")); got != "256" {
		t.Errorf("cpu.shares = %q", got)
	}
	// Plain files keep only the last write of each.
	if d, a := get(t, filepath.Join(devDir, "devices.deny")), get(t, filepath.Join(devDir, "devices.allow")); d != "a" || a != "c 1:3 rw" {
		t.Errorf("devices.deny %q, devices.allow %q", d, a)
	}
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &maj}}); err == nil || !strings.Contains(err.Error(), "memory.limit: the memory controller is not mounted") {
		t.Errorf("unmounted memory: %v", err)
	}
	if _, err := m.OOMEvents(t.Context()); err == nil {
		t.Error("OOMEvents without memory controller succeeded")
	}
	if err := m.Freeze(); err == nil {
		t.Error("Freeze without freezer succeeded")
	}
	if f, err := m.Frozen(); f || err != nil {
		t.Errorf("Frozen without freezer = %v, %v", f, err)
	}
}
