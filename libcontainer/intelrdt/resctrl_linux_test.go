package intelrdt

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const rootSchemata = "    L3:0=fff;1=fff\n    MB:0=100;1=100\n"

// fakeRoot is a directory laid out as a resctrl mount is: what Apply and
// Destroy touch are plain files there. (The kernel fills a new group with
// its files; here Apply's writes create them.)
func fakeRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	put(t, filepath.Join(root, "schemata"), rootSchemata)
	put(t, filepath.Join(root, "tasks"), "")
	put(t, filepath.Join(root, "info", "last_cmd_status"), "ok\n")
	mkdir(t, filepath.Join(root, "mon_groups"))
	return root
}

// preGroup makes a group as an administrator would have.
func preGroup(t *testing.T, root, name, schemata string) string {
	t.Helper()
	dir := filepath.Join(root, name)
	put(t, filepath.Join(dir, "schemata"), schemata)
	put(t, filepath.Join(dir, "tasks"), "")
	mkdir(t, filepath.Join(dir, "mon_groups"))
	return dir
}

func put(t *testing.T, p, s string) {
	t.Helper()
	mkdir(t, filepath.Dir(p))
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func plan(t *testing.T, rdt *specs.LinuxIntelRdt) *Group {
	t.Helper()
	g, err := Plan(rdt, "c1")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func wantErr(t *testing.T, err error, part string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), part) {
		t.Fatalf("got %v, want an error with %q", err, part)
	}
	if !strings.HasPrefix(err.Error(), "linux.intelRdt") {
		t.Errorf("the error does not name linux.intelRdt: %v", err)
	}
}

func TestApplyNewGroupThenDestroyFromState(t *testing.T) {
	root := fakeRoot(t)
	g := plan(t, &specs.LinuxIntelRdt{L3CacheSchema: "L3:0=f", MemBwSchema: "MB:0=50", Schemata: []string{"L2:0=3"}})
	if err := g.Apply(root, 1234); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "c1")
	if s := read(t, filepath.Join(dir, "schemata")); s != "L3:0=f\nMB:0=50\nL2:0=3\n" {
		t.Errorf("schemata: %q", s)
	}
	if s := read(t, filepath.Join(dir, "tasks")); s != "1234" {
		t.Errorf("tasks: %q", s)
	}
	if !g.Created || g.MonitorCreated || g.Root != root || g.Dir(root) != dir {
		t.Errorf("record: %+v", g)
	}
	if s := read(t, filepath.Join(root, "schemata")); s != rootSchemata {
		t.Errorf("the root's schemata changed: %q", s)
	}

	// Another process destroys from the state file.
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	var saved Group
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	if err := saved.Destroy(""); err != nil {
		t.Fatal(err)
	}
	if exists(dir) {
		t.Error("the container's group is left")
	}
	if err := saved.Destroy(root); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
	if !exists(filepath.Join(root, "tasks")) || !exists(filepath.Join(root, "info")) {
		t.Error("Destroy touched the root")
	}
}

func TestApplyWithoutSchemaLeavesSchemata(t *testing.T) {
	root := fakeRoot(t)
	g := plan(t, &specs.LinuxIntelRdt{})
	if err := g.Apply(root, 7); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(root, "c1", "schemata")) {
		t.Error("schemata written with no schema in the spec")
	}
	if err := g.Destroy(root); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(root, "c1")) {
		t.Error("group left")
	}
}

func TestApplyContainerGroupExists(t *testing.T) {
	root := fakeRoot(t)
	dir := preGroup(t, root, "c1", rootSchemata)
	g := plan(t, &specs.LinuxIntelRdt{MemBwSchema: "MB:0=10"})
	wantErr(t, g.Apply(root, 7), "resctrl group "+dir+" already exists")
	if g.Created || !exists(dir) || read(t, filepath.Join(dir, "tasks")) != "" || read(t, filepath.Join(dir, "schemata")) != rootSchemata {
		t.Errorf("an existing group was taken or removed: %+v", g)
	}
	if err := g.Destroy(root); err != nil || !exists(dir) {
		t.Errorf("Destroy: %v; exists %v", err, exists(dir))
	}
}

func TestApplyClosIDWithoutSchemaMustExist(t *testing.T) {
	root := fakeRoot(t)
	g := plan(t, &specs.LinuxIntelRdt{ClosID: "gold"})
	wantErr(t, g.Apply(root, 7), "linux.intelRdt.closID: resctrl group "+filepath.Join(root, "gold")+" does not exist")
	if exists(filepath.Join(root, "gold")) {
		t.Error("group made")
	}
}

func TestApplyClosIDMadeIsNotRemoved(t *testing.T) {
	root := fakeRoot(t)
	g := plan(t, &specs.LinuxIntelRdt{ClosID: "gold", L3CacheSchema: "L3:0=f"})
	if err := g.Apply(root, 7); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "gold")
	if !g.Created || read(t, filepath.Join(dir, "schemata")) != "L3:0=f\n" || read(t, filepath.Join(dir, "tasks")) != "7" {
		t.Fatalf("group not made as planned: %+v", g)
	}
	if err := g.Destroy(root); err != nil {
		t.Fatal(err)
	}
	if !exists(dir) {
		t.Error("a closID group was removed (the spec: MUST NOT)")
	}
}

func TestApplyExistingClosIDWithMonitoring(t *testing.T) {
	root := fakeRoot(t)
	const pre = "    L3:0=00f;1=fff\n    MB:0=100;1=100\n"
	dir := preGroup(t, root, "gold", pre)
	g := plan(t, &specs.LinuxIntelRdt{ClosID: "gold", L3CacheSchema: "L3:0=f", EnableMonitoring: true})
	if err := g.Apply(root, 42); err != nil {
		t.Fatal(err)
	}
	mon := filepath.Join(dir, "mon_groups", "c1")
	if g.Created || !g.MonitorCreated || g.MonitorDir(root) != mon {
		t.Errorf("record: %+v", g)
	}
	if s := read(t, filepath.Join(dir, "schemata")); s != pre {
		t.Errorf("an existing group's schemata were written: %q", s)
	}
	if read(t, filepath.Join(dir, "tasks")) != "42" || read(t, filepath.Join(mon, "tasks")) != "42" {
		t.Error("pid not in the group and its monitoring group")
	}
	// An exec'd process joins both.
	if err := g.Join("", 43); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(dir, "tasks")) != "43" || read(t, filepath.Join(mon, "tasks")) != "43" {
		t.Error("Join: pid not in the group and its monitoring group")
	}
	if err := g.Destroy(root); err != nil {
		t.Fatal(err)
	}
	wantErr(t, g.Join(root, 44), "linux.intelRdt.enableMonitoring: open "+mon)
	if exists(mon) || !exists(dir) || read(t, filepath.Join(dir, "schemata")) != pre {
		t.Error("Destroy: the monitoring group must go, the closID group stay as it was")
	}
}

func TestApplyExistingClosIDOtherSchemata(t *testing.T) {
	root := fakeRoot(t)
	dir := preGroup(t, root, "gold", rootSchemata)
	g := plan(t, &specs.LinuxIntelRdt{ClosID: "gold", MemBwSchema: "MB:0=50", EnableMonitoring: true})
	wantErr(t, g.Apply(root, 7), "linux.intelRdt.closID: group "+dir+" exists and its schemata differ from the spec's (an existing group is used as it is): MB domain 0 is 100 in the group, the spec has 50")
	if read(t, filepath.Join(dir, "tasks")) != "" || read(t, filepath.Join(dir, "schemata")) != rootSchemata || exists(filepath.Join(dir, "mon_groups", "c1")) {
		t.Error("something was written after the mismatch")
	}
}

func TestApplyDefaultGroup(t *testing.T) {
	root := fakeRoot(t)
	g := plan(t, &specs.LinuxIntelRdt{ClosID: "/", EnableMonitoring: true})
	if err := g.Apply(root, 9); err != nil {
		t.Fatal(err)
	}
	mon := filepath.Join(root, "mon_groups", "c1")
	if read(t, filepath.Join(root, "tasks")) != "9" || read(t, filepath.Join(mon, "tasks")) != "9" {
		t.Error("pid not in the root and the monitoring group")
	}
	if err := g.Destroy(root); err != nil {
		t.Fatal(err)
	}
	if exists(mon) || !exists(filepath.Join(root, "mon_groups")) || read(t, filepath.Join(root, "schemata")) != rootSchemata {
		t.Error("Destroy: only the monitoring group must go")
	}
}

func TestApplyNoMonitoringUndoes(t *testing.T) {
	root := fakeRoot(t)
	// A group made here has no mon_groups (the kernel makes one only
	// where monitoring is supported).
	g := plan(t, &specs.LinuxIntelRdt{MemBwSchema: "MB:0=50", EnableMonitoring: true})
	wantErr(t, g.Apply(root, 7), "linux.intelRdt.enableMonitoring: "+filepath.Join(root, "c1")+" has no mon_groups")
	if exists(filepath.Join(root, "c1")) || g.Created {
		t.Error("the group made before the failure is left")
	}
}

func TestApplyStaysBeneathRoot(t *testing.T) {
	outside := t.TempDir()
	put(t, filepath.Join(outside, "f"), "keep")

	root := fakeRoot(t)
	if err := os.Symlink(outside, filepath.Join(root, "gold")); err != nil {
		t.Fatal(err)
	}
	g := plan(t, &specs.LinuxIntelRdt{ClosID: "gold"})
	if err := g.Apply(root, 7); err == nil {
		t.Fatal("a closID symlink was followed")
	}
	if err := os.Symlink(outside, filepath.Join(root, "c1")); err != nil {
		t.Fatal(err)
	}
	g = plan(t, &specs.LinuxIntelRdt{MemBwSchema: "MB:0=1"})
	if err := g.Apply(root, 7); err == nil {
		t.Fatal("a container group symlink was followed")
	}

	root = fakeRoot(t)
	dir := preGroup(t, root, "silver", rootSchemata)
	os.Remove(filepath.Join(dir, "tasks"))
	if err := os.Symlink(filepath.Join(outside, "f"), filepath.Join(dir, "tasks")); err != nil {
		t.Fatal(err)
	}
	g = plan(t, &specs.LinuxIntelRdt{ClosID: "silver"})
	if err := g.Apply(root, 7); !errors.Is(err, unix.ELOOP) {
		t.Fatalf("a tasks symlink: got %v, want ELOOP", err)
	}
	if len(mustReadDir(t, outside)) != 1 || read(t, filepath.Join(outside, "f")) != "keep" {
		t.Error("something was written outside the root")
	}
}

func mustReadDir(t *testing.T, p string) []os.DirEntry {
	t.Helper()
	es, err := os.ReadDir(p)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestApplyBadPid(t *testing.T) {
	g := plan(t, &specs.LinuxIntelRdt{})
	wantErr(t, g.Apply(fakeRoot(t), 0), "invalid pid 0")
}

func TestLastCmdStatus(t *testing.T) {
	root := fakeRoot(t)
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := lastCmd(fd, unix.EINVAL); err != unix.EINVAL {
		t.Errorf("status ok: got %v", err)
	}
	put(t, filepath.Join(root, "info", "last_cmd_status"), "Duplicate domain 0\n")
	err = lastCmd(fd, unix.EINVAL)
	if !errors.Is(err, unix.EINVAL) || err.Error() != "invalid argument (last_cmd_status: Duplicate domain 0)" {
		t.Errorf("got %v", err)
	}
}

func TestDetect(t *testing.T) {
	const mi = `22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
23 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
40 23 0:35 / /sys/fs/resctrl rw,relatime shared:20 - resctrl resctrl rw,mba_MBps
41 23 0:35 / /mnt/r rw,relatime shared:20 - resctrl resctrl rw,mba_MBps
`
	root, err := detectIn(strings.NewReader(mi))
	if err != nil || root != "/sys/fs/resctrl" {
		t.Errorf("got %q, %v", root, err)
	}
	_, err = detectIn(strings.NewReader(strings.Join(strings.Split(mi, "\n")[:2], "\n") + "\n"))
	if !errors.Is(err, ErrNotMounted) || err.Error() != NotMounted {
		t.Errorf("got %v", err)
	}
	if strings.Contains(NotMounted, "\n") {
		t.Error("the error is not one line")
	}

	// This host: the result must agree with its mountinfo.
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Skip(err)
	}
	root, err = Detect()
	if strings.Contains(string(b), " - resctrl ") {
		if err != nil || root == "" {
			t.Errorf("resctrl is mounted, Detect: %q, %v", root, err)
		}
	} else if !errors.Is(err, ErrNotMounted) {
		t.Errorf("resctrl is not mounted, Detect: %q, %v", root, err)
	}
}
