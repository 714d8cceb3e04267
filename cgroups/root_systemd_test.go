package cgroups

import (
	"os"
	"slices"
	"strings"
	"testing"

	sd "github.com/coreos/go-systemd/v22/dbus"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func needSystemd(t *testing.T) {
	t.Helper()
	if needRoot(t) != Unified {
		t.Skip("the systemd driver needs cgroup v2")
	}
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		t.Skip("systemd is not running")
	}
}

func unitProp(t *testing.T, unit, name string) any {
	t.Helper()
	c, err := sd.NewWithContext(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.GetUnitTypePropertyContext(t.Context(), unit, "Scope", name)
	if err != nil {
		p, err = c.GetUnitPropertyContext(t.Context(), unit, name)
	}
	if err != nil {
		t.Fatalf("get %s of %s: %v", name, unit, err)
	}
	return p.Value.Value()
}

func TestRootSystemdScope(t *testing.T) {
	needSystemd(t)
	name := strings.TrimPrefix(randomPrefix(t), "hako-test-")
	timeout := "uint64 7"
	res := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: i64(64 << 20)},
		CPU:     &specs.LinuxCPU{Shares: u64(512), Quota: i64(50000), Period: u64(100000), Burst: u64(1000)},
		Pids:    &specs.LinuxPids{Limit: i64(20)},
		Devices: deviceRules(false),
	}
	m := newManager(t, Config{Systemd: true, Path: "system.slice:hako-test:" + name, Resources: res,
		Annotations: map[string]string{"org.systemd.property.TimeoutStopSec": timeout}})
	unit := "hako-test-" + name + ".scope"
	if want := "/sys/fs/cgroup/system.slice/" + unit; m.Path("") != want {
		t.Fatalf("path %q, want %q", m.Path(""), want)
	}
	c := startChild(t, m, `while read x; do
		if cat /dev/null 2>&-; then n=null-ok; else n=null-denied; fi
		echo $n
	done`)
	if err := m.Set(res); err != nil {
		t.Fatalf("set: %v", err)
	}
	pids, err := m.Pids()
	if err != nil || !slices.Contains(pids, c.cmd.Process.Pid) {
		t.Fatalf("Pids = %v, %v", pids, err)
	}
	// systemd holds the limits ...
	for prop, want := range map[string]any{
		"MemoryMax": uint64(64 << 20), "TasksMax": uint64(20), "CPUWeight": uint64(59),
		"CPUQuotaPerSecUSec": uint64(500000), "Delegate": true, "TimeoutStopUSec": uint64(7000000),
	} {
		if got := unitProp(t, unit, prop); got != want {
			t.Errorf("%s = %v (%T), want %v", prop, got, got, want)
		}
	}
	// ... and the files say the same, plus what only fs2 writes.
	for file, want := range map[string]string{
		"memory.max": "67108864", "pids.max": "20", "cpu.weight": "59", "cpu.max": "50000 100000", "cpu.max.burst": "1000",
	} {
		if got := readFile(t, m, "", file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	c.send(t, "go")
	c.send(t, "check")
	if got := c.line(t); got != "null-denied" {
		t.Errorf("device rule not enforced: %q", got)
	}
	// Update.
	upd := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(128 << 20)}, Devices: deviceRules(true)}
	if err := m.Set(upd); err != nil {
		t.Fatalf("update: %v", err)
	}
	if got := unitProp(t, unit, "MemoryMax"); got != uint64(128<<20) {
		t.Errorf("MemoryMax after update = %v", got)
	}
	if got := readFile(t, m, "", "memory.max"); got != "134217728" {
		t.Errorf("memory.max after update = %q", got)
	}
	c.send(t, "check")
	if got := c.line(t); got != "null-ok" {
		t.Errorf("after allowing null: %q", got)
	}
	// checkBeforeUpdate refuses before systemd sees the limit.
	check := true
	err = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(4096), CheckBeforeUpdate: &check}})
	if err == nil || !strings.Contains(err.Error(), "checkBeforeUpdate") {
		t.Errorf("limit below usage: %v", err)
	}
	if got := unitProp(t, unit, "MemoryMax"); got != uint64(128<<20) {
		t.Errorf("MemoryMax after a refused update = %v", got)
	}
	// exec: a second process joins the running scope.
	c2 := startChild(t, m, "sleep 100")
	if pids, err := m.Pids(); err != nil || !slices.Contains(pids, c2.cmd.Process.Pid) || !slices.Contains(pids, c.cmd.Process.Pid) {
		t.Errorf("after joining: Pids = %v, %v", pids, err)
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if f, _ := m.Frozen(); !f {
		t.Error("not frozen")
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Stats(); err != nil {
		t.Errorf("stats: %v", err)
	}
	fd, err := m.CgroupFD()
	if err != nil {
		t.Errorf("CgroupFD: %v", err)
	} else {
		unix.Close(fd)
	}
	if err := m.Kill(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.wait(t, 10e9)
	if err := m.Destroy(); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if _, err := os.Stat(m.Path("")); !os.IsNotExist(err) {
		t.Errorf("scope cgroup still there: %v", err)
	}
	if st := unitProp(t, unit, "ActiveState"); st != "inactive" {
		t.Errorf("ActiveState after destroy = %v", st)
	}
	if err := m.Destroy(); err != nil {
		t.Errorf("second destroy: %v", err)
	}
}

// Fields systemd has no property for (hugetlb) need their controller in
// the scope, which systemd does not enable in the slices; and an update
// that fs2 refuses must not have changed the unit first.
func TestRootSystemdHugetlbAndRefusedUpdate(t *testing.T) {
	needSystemd(t)
	if _, err := os.Stat("/sys/kernel/mm/hugepages/hugepages-2048kB"); err != nil {
		t.Skip("no 2MB huge pages")
	}
	name := strings.TrimPrefix(randomPrefix(t), "hako-test-")
	res := &specs.LinuxResources{
		Pids:           &specs.LinuxPids{Limit: i64(20)},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}},
	}
	m := newManager(t, Config{Systemd: true, Path: "system.slice:hako-test:" + name, Resources: res})
	unit := "hako-test-" + name + ".scope"
	startChild(t, m, "sleep 100")
	if err := m.Set(res); err != nil {
		t.Fatalf("set: %v", err)
	}
	if got := readFile(t, m, "", "hugetlb.2MB.max"); got != "4194304" {
		t.Errorf("hugetlb.2MB.max = %q", got)
	}
	bad := &specs.LinuxResources{
		Pids:    &specs.LinuxPids{Limit: i64(7)},
		CPU:     &specs.LinuxCPU{RealtimeRuntime: i64(1000)},
		Unified: map[string]string{"memory.nosuch": "1"},
	}
	if err := m.Set(bad); err == nil {
		t.Fatal("an update v2 cannot honour succeeded")
	}
	if got := unitProp(t, unit, "TasksMax"); got != uint64(20) {
		t.Errorf("TasksMax after a refused update = %v", got)
	}
	if got := readFile(t, m, "", "pids.max"); got != "20" {
		t.Errorf("pids.max after a refused update = %q", got)
	}
}
