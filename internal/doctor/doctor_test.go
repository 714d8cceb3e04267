package doctor

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups"
	"github.com/hako-runtime/hako/libcontainer"
)

// TestMain lets the test binary stand in for hako as the probes' child:
// with libcontainer.UsernsHoldArg it only waits for its stdin to close.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == libcontainer.UsernsHoldArg {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// goodFacts is a unified host where everything works, seen by root.
func goodFacts() *Facts {
	all := map[string]bool{}
	for _, n := range []string{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"} {
		all[n] = true
	}
	return &Facts{
		Kernel: "6.18.44", Machine: "x86_64", User: "root",
		Namespaces: all,
		CgroupRoot: "/sys/fs/cgroup", CgroupMode: cgroups.Unified, V1: map[string]string{},
		V2Mount: "/sys/fs/cgroup", V2Own: "/sys/fs/cgroup/user.slice/s", V2Parent: "/sys/fs/cgroup/user.slice",
		V2Controllers: []string{"cpuset", "cpu", "io", "memory", "pids"}, V2Subtree: []string{"cpuset", "cpu", "io", "memory", "pids"},
		V2Freeze: true,
		PID1:     "systemd", SystemdBooted: true, SystemBus: "/run/systemd/private",
		UsernsProbed: true, UnprivClone: -1, MaxUserNS: 15000, AppArmorUserns: -1,
		NewUIDMap: Helper{Path: "/usr/bin/newuidmap", Setuid: true}, NewGIDMap: Helper{Path: "/usr/bin/newgidmap", Setuid: true},
		IdmapProbed: true, IdmapRootFS: "ext4",
		Filesystems: map[string]bool{"tmpfs": true, "overlay": true},
		SeccompLib:  "2.5.4", SeccompKnown: []string{"A", "B"}, SeccompSupported: []string{"A", "B"}, SeccompListener: true,
		AppArmor: "Y", SELinux: -1,
		ExeMethod: "overlayfs",
		CriuPath:  "/usr/sbin/criu", CriuVersion: 31701,
		Root: "/run/hako", RootExists: true, RootDir: "/run/hako", RootFS: "tmpfs",
	}
}

// checkInvariants holds for every report: names unique, verdicts known,
// a hint exactly when the verdict is not ok.
func checkInvariants(t *testing.T, r *Report) {
	t.Helper()
	seen := map[string]bool{}
	for _, it := range r.Items {
		if seen[it.Name] {
			t.Errorf("item %s twice", it.Name)
		}
		seen[it.Name] = true
		if !slices.Contains([]Verdict{OK, Info, Warn, Fail}, it.Verdict) {
			t.Errorf("%s: verdict %q", it.Name, it.Verdict)
		}
		if (it.Hint == "") != (it.Verdict == OK) {
			t.Errorf("%s: verdict %s with hint %q", it.Name, it.Verdict, it.Hint)
		}
		if it.Group == "" || it.Detail == "" {
			t.Errorf("%s: group %q detail %q", it.Name, it.Group, it.Detail)
		}
		if strings.Contains(it.Hint, "\n") || strings.Contains(it.Detail, "\n") {
			t.Errorf("%s: not one line", it.Name)
		}
	}
}

func verdicts(r *Report) map[string]Verdict {
	m := map[string]Verdict{}
	for _, it := range r.Items {
		m[it.Name] = it.Verdict
	}
	return m
}

var itemNames = []string{
	"kernel", "privileges", "namespaces", "time-namespace", "state-root",
	"cgroup-mode", "cgroup-controllers", "freezer", "clone-into-cgroup", "systemd",
	"user-namespaces", "id-map-helpers", "subordinate-ids", "idmapped-mounts", "overlayfs", "tmpfs",
	"pidfd", "clone3", "seccomp", "seccomp-flags", "apparmor", "selinux", "binary-protection", "criu",
}

func TestGoodHost(t *testing.T) {
	r := Evaluate(Options{Root: "/run/hako", SystemdCgroup: true}, goodFacts())
	checkInvariants(t, r)
	var names []string
	for _, it := range r.Items {
		names = append(names, it.Name)
		if it.Verdict != OK && it.Name != "selinux" {
			t.Errorf("%s: %s (%s)", it.Name, it.Verdict, it.Detail)
		}
	}
	if !reflect.DeepEqual(names, itemNames) {
		t.Errorf("items %v, want %v", names, itemNames)
	}
	if f := r.Failed(); len(f) != 0 {
		t.Errorf("failed %v", f)
	}
}

// This development host: hybrid cgroups, no systemd, no LSM.
func TestHybridHost(t *testing.T) {
	f := goodFacts()
	f.CgroupMode, f.V2Mount, f.V2Own = cgroups.Hybrid, "/sys/fs/cgroup/unified", "/sys/fs/cgroup/unified"
	f.V1 = map[string]string{}
	for _, c := range v1Wanted {
		f.V1[c] = "/sys/fs/cgroup/" + c
	}
	f.PID1, f.SystemdBooted, f.SystemBus, f.AppArmor = "init", false, "", ""
	r := Evaluate(Options{Root: "/run/hako"}, f)
	checkInvariants(t, r)
	v := verdicts(r)
	for name, want := range map[string]Verdict{"cgroup-mode": Info, "cgroup-controllers": OK, "freezer": OK,
		"clone-into-cgroup": Info, "systemd": Info, "apparmor": Info} {
		if v[name] != want {
			t.Errorf("%s: %s, want %s", name, v[name], want)
		}
	}
	if d := r.Item("cgroup-mode").Detail; !strings.Contains(d, "hybrid") || !strings.Contains(d, "/sys/fs/cgroup/unified") {
		t.Errorf("cgroup-mode detail %q", d)
	}
	if len(r.Failed()) != 0 {
		t.Errorf("failed %v", r.Failed())
	}
	// A missing v1 controller is named.
	delete(f.V1, "pids")
	r = Evaluate(Options{}, f)
	if it := r.Item("cgroup-controllers"); it.Verdict != Warn || !strings.Contains(it.Detail, "missing: pids") {
		t.Errorf("cgroup-controllers %+v", it)
	}
	// --systemd-cgroup on a hybrid host cannot work, even with systemd.
	f.PID1, f.SystemdBooted, f.SystemBus = "systemd", true, "/run/systemd/private"
	r = Evaluate(Options{SystemdCgroup: true}, f)
	if it := r.Item("systemd"); it.Verdict != Fail || !it.Essential || !strings.Contains(it.Hint, "cgroup v2") {
		t.Errorf("systemd %+v", it)
	}
}

func TestEssentialFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   Options
		change func(*Facts)
		item   string
		want   Verdict
		failed bool
	}{
		{"old kernel", Options{}, func(f *Facts) { f.Kernel = "5.4.0-150-generic" }, "kernel", Fail, true},
		{"kernel without mount_setattr", Options{}, func(f *Facts) { f.Kernel = "5.10.0" }, "kernel", Warn, false},
		{"no pid namespace", Options{}, func(f *Facts) { f.Namespaces["pid"] = false }, "namespaces", Fail, true},
		{"no network namespace", Options{}, func(f *Facts) { f.Namespaces["network"] = false }, "namespaces", Warn, false},
		{"no time namespace", Options{}, func(f *Facts) { f.Namespaces["time"] = false }, "time-namespace", Warn, false},
		{"state root unwritable", Options{}, func(f *Facts) { f.RootWritable = unix.EACCES }, "state-root", Fail, true},
		{"state root under a file", Options{}, func(f *Facts) { f.RootExists, f.RootDir, f.RootWritable = false, "/etc/passwd", unix.ENOTDIR }, "state-root", Fail, true},
		{"state root on disk", Options{}, func(f *Facts) { f.RootFS = "ext4" }, "state-root", Info, false},
		{"no cgroups", Options{}, func(f *Facts) { f.CgroupMode = cgroups.Unavailable }, "cgroup-mode", Fail, true},
		{"no cgroups, rootless", Options{Rootless: true}, func(f *Facts) { f.CgroupMode = cgroups.Unavailable }, "cgroup-mode", Warn, false},
		{"v2 controller missing", Options{}, func(f *Facts) { f.V2Controllers = []string{"cpu"} }, "cgroup-controllers", Warn, false},
		{"no clone into cgroup on v2", Options{}, func(f *Facts) { f.IntoCgroupErr = unix.EACCES }, "clone-into-cgroup", Warn, false},
		{"no systemd", Options{}, func(f *Facts) { f.SystemdBooted = false }, "systemd", Info, false},
		{"no systemd, --systemd-cgroup", Options{SystemdCgroup: true}, func(f *Facts) { f.SystemdBooted = false }, "systemd", Fail, true},
		{"no bus, --systemd-cgroup", Options{SystemdCgroup: true}, func(f *Facts) { f.SystemBus = "" }, "systemd", Fail, true},
		{"no userns as root", Options{}, func(f *Facts) { f.UsernsErr = unix.ENOSPC }, "user-namespaces", Warn, false},
		{"no userns as a user", Options{Rootless: true}, func(f *Facts) { f.EUID, f.UsernsErr = 1000, unix.EPERM }, "user-namespaces", Fail, true},
		{"apparmor userns restriction", Options{Rootless: true}, func(f *Facts) { f.EUID, f.AppArmorUserns = 1000, 1 }, "user-namespaces", Warn, false},
		{"no helpers as a user", Options{}, func(f *Facts) { f.EUID, f.NewUIDMap = 1000, Helper{} }, "id-map-helpers", Warn, false},
		{"helper not setuid", Options{}, func(f *Facts) { f.EUID, f.NewGIDMap.Setuid = 1000, false }, "id-map-helpers", Warn, false},
		{"helper with file caps", Options{}, func(f *Facts) { f.EUID, f.NewGIDMap.Setuid, f.NewGIDMap.FileCaps = 1000, false, true }, "id-map-helpers", OK, false},
		{"no subids", Options{}, func(f *Facts) { f.EUID, f.User = 1000, "u" }, "subordinate-ids", Warn, false},
		{"subids", Options{}, func(f *Facts) { f.EUID, f.User, f.SubUID, f.SubGID = 1000, "u", []string{"1:2"}, []string{"1:2"} }, "subordinate-ids", OK, false},
		{"idmap refused on /", Options{}, func(f *Facts) { f.IdmapRoot = unix.EINVAL }, "idmapped-mounts", Warn, false},
		{"idmap not probed", Options{}, func(f *Facts) { f.IdmapProbed, f.IdmapSkip = false, "needs root" }, "idmapped-mounts", Info, false},
		{"no tmpfs", Options{}, func(f *Facts) { f.Filesystems["tmpfs"] = false }, "tmpfs", Fail, true},
		{"no pidfd", Options{}, func(f *Facts) { f.PidfdErr = unix.ENOSYS }, "pidfd", Fail, true},
		{"no clone3", Options{}, func(f *Facts) { f.Clone3Err = unix.ENOSYS }, "clone3", Info, false},
		{"no seccomp", Options{}, func(f *Facts) { f.SeccompErr = unix.EINVAL }, "seccomp", Warn, false},
		{"a seccomp flag unknown", Options{}, func(f *Facts) { f.SeccompSupported = []string{"A"} }, "seccomp-flags", Warn, false},
		{"no seccomp listener", Options{}, func(f *Facts) { f.SeccompListener = false }, "seccomp-flags", Warn, false},
		{"selinux permissive", Options{}, func(f *Facts) { f.SELinux = 0 }, "selinux", Info, false},
		{"selinux enforcing", Options{}, func(f *Facts) { f.SELinux = 1 }, "selinux", OK, false},
		{"memfd protection", Options{}, func(f *Facts) { f.ExeMethod, f.ExeOverlayErr = "sealed memfd", unix.EPERM }, "binary-protection", Info, false},
		{"no protection", Options{}, func(f *Facts) { f.ExeMethod, f.ExeErr = "", errors.New("no") }, "binary-protection", Fail, true},
		{"no criu", Options{}, func(f *Facts) { f.CriuPath, f.CriuErr = "", errors.New("not found") }, "criu", Warn, false},
		{"old criu", Options{}, func(f *Facts) { f.CriuErr = errors.New("criu /x is version 2.12.0") }, "criu", Warn, false},
		{"criu as a user", Options{}, func(f *Facts) { f.EUID = 1000 }, "criu", Info, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := goodFacts()
			tc.change(f)
			r := Evaluate(tc.opts, f)
			checkInvariants(t, r)
			it := r.Item(tc.item)
			if it == nil {
				t.Fatalf("no item %s", tc.item)
			}
			if it.Verdict != tc.want {
				t.Errorf("%s: %s (%s), want %s", tc.item, it.Verdict, it.Detail, tc.want)
			}
			failed := r.Failed()
			if tc.failed != slices.Contains(failed, tc.item) {
				t.Errorf("failed %v", failed)
			}
			if !tc.failed && len(failed) > 0 {
				t.Errorf("failed %v", failed)
			}
			// Whether an item is essential depends on who runs hako and
			// the flags, never on what was found.
			if len(r.Items) != len(itemNames) {
				t.Errorf("%d items, want %d", len(r.Items), len(itemNames))
			}
			base := goodFacts()
			base.EUID = f.EUID
			for _, want := range Evaluate(tc.opts, base).Items {
				if got := r.Item(want.Name); got.Essential != want.Essential {
					t.Errorf("%s: essential %v, %v on a good host", want.Name, got.Essential, want.Essential)
				}
			}
		})
	}
}

func TestKernelVersion(t *testing.T) {
	for rel, want := range map[string][2]int{"6.18.44-fc-v782": {6, 18}, "5.4.0-150-generic": {5, 4}, "4.19": {4, 19}, "6.1-rc3": {6, 1}, "5.12+": {5, 12}} {
		ma, mi, ok := kernelVersion(rel)
		if !ok || ma != want[0] || mi != want[1] {
			t.Errorf("%s: %d.%d %v", rel, ma, mi, ok)
		}
	}
	for _, rel := range []string{"", "6", "x.y"} {
		if _, _, ok := kernelVersion(rel); ok {
			t.Errorf("%q parsed", rel)
		}
	}
	if !kernelAtLeast("5.12.0", 5, 12) || kernelAtLeast("5.11.9", 5, 12) || !kernelAtLeast("6.0", 5, 12) || kernelAtLeast("junk", 1, 0) {
		t.Error("kernelAtLeast")
	}
}

// The JSON document's shape is documented (docs/doctor.md): these keys,
// lower case, no more.
func TestJSONShape(t *testing.T) {
	f := goodFacts()
	f.PidfdErr = unix.ENOSYS
	f.SELinux = 0
	var b bytes.Buffer
	if err := Evaluate(Options{}, f).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v: %s", err, b.String())
	}
	if got := keys(doc); !reflect.DeepEqual(got, []string{"failed", "items", "ready", "summary"}) {
		t.Errorf("top-level keys %v", got)
	}
	if doc["ready"] != false || !reflect.DeepEqual(doc["failed"], []any{"pidfd"}) {
		t.Errorf("ready %v failed %v", doc["ready"], doc["failed"])
	}
	if got := keys(doc["summary"].(map[string]any)); !reflect.DeepEqual(got, []string{"fail", "info", "ok", "warn"}) {
		t.Errorf("summary keys %v", got)
	}
	s := doc["summary"].(map[string]any)
	if s["fail"] != 1.0 || s["info"] != 1.0 || s["ok"] != float64(len(itemNames)-2) {
		t.Errorf("summary %v", s)
	}
	items := doc["items"].([]any)
	if len(items) != len(itemNames) {
		t.Fatalf("%d items", len(items))
	}
	for _, i := range items {
		it := i.(map[string]any)
		if got := keys(it); !reflect.DeepEqual(got, []string{"detail", "essential", "group", "hint", "name", "verdict"}) {
			t.Errorf("item keys %v", got)
		}
	}
	// All good: ready, and failed is an empty list, not null.
	b.Reset()
	Evaluate(Options{}, goodFacts()).WriteJSON(&b)
	if !strings.Contains(b.String(), `"ready": true`) || !strings.Contains(b.String(), `"failed": []`) {
		t.Errorf("good host JSON: %s", b.String())
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestText(t *testing.T) {
	r := &Report{Items: []Item{
		{Group: "host", Name: "kernel", Verdict: OK, Essential: true, Detail: "6.18"},
		{Group: "host", Name: "a-long-item-name", Verdict: Warn, Detail: "multi\nline  detail", Hint: "do this"},
		{Group: "state", Name: "state-root", Verdict: Fail, Essential: true, Detail: "/x", Hint: "fix it"},
	}}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `host
  ok    kernel*            6.18
  warn  a-long-item-name   multi line detail
                           hint: do this

state
  fail  state-root*        /x
                           hint: fix it

1 ok, 0 info, 1 warn, 1 fail (* essential). No container can start here: state-root failed.
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	r.Items = r.Items[:2]
	b.Reset()
	r.WriteText(&b)
	if !strings.HasSuffix(b.String(), "1 ok, 0 info, 1 warn, 0 fail (* essential). Containers can run here (a warn limits what they may use).\n") {
		t.Errorf("got\n%s", b.String())
	}
}

// The real probes on this machine: quick, nothing in the temporary
// directory, no child process left. (That no mount or cgroup is left is
// checked by doctor.bats, which runs alone: other packages' tests may
// mount things while this one runs.)
func TestGather(t *testing.T) {
	// The probes' child: it only has to hold its namespace until its
	// stdin closes, as hako does (a -race test binary starts slowly).
	dir := t.TempDir()
	self := dir + "/hold"
	if err := os.WriteFile(self, []byte("#!/bin/sh\nexec cat >/dev/null\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := dir + "/tmp"
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	start := time.Now()
	f := Gather(Options{Root: dir + "/state", Criu: "criu", Self: self})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Gather took %s", d)
	}
	if e, _ := os.ReadDir(tmp); len(e) > 0 {
		t.Errorf("files left in TMPDIR: %v", e)
	}
	if b, _ := os.ReadFile("/proc/self/task/" + itoa(os.Getpid()) + "/children"); len(bytes.TrimSpace(b)) > 0 {
		t.Errorf("children left: %s", b)
	}
	if f.Kernel == "" || f.CgroupRoot == "" || f.SeccompLib == "" || len(f.SeccompKnown) == 0 {
		t.Errorf("facts missing: %+v", f)
	}
	if f.RootExists || f.RootWritable != nil {
		t.Errorf("state root: exists %v writable %v", f.RootExists, f.RootWritable)
	}
	if _, err := os.Stat(f.Root); err == nil {
		t.Errorf("Gather made the state root %s", f.Root)
	}
	if f.UsernsProbed && f.UsernsErr != nil && f.MaxUserNS > 0 && f.EUID == 0 {
		t.Errorf("user namespace probe as root: %v", f.UsernsErr)
	}
	if f.EUID == 0 && !f.InUserNS && f.UsernsErr == nil && !f.IdmapProbed {
		t.Errorf("idmapped mounts not probed as root: %s", f.IdmapSkip)
	}
	r := Evaluate(Options{Root: f.Root}, f)
	checkInvariants(t, r)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
