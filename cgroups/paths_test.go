package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fakeRoot builds a cgroup root in a temp dir: v1 hierarchies are dirs
// with cgroup.procs, a v2 mount has cgroup.controllers.
func fakeRoot(t *testing.T, mode Mode) string {
	t.Helper()
	root := t.TempDir()
	touch := func(p ...string) {
		f := filepath.Join(append([]string{root}, p...)...)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	switch mode {
	case Unified:
		touch("cgroup.controllers")
		touch("cgroup.procs")
	case Legacy, Hybrid:
		for _, c := range []string{"cpu,cpuacct", "memory", "cpuset", "systemd", "pids"} {
			touch(c, "cgroup.procs")
		}
		if err := os.Symlink("cpu,cpuacct", filepath.Join(root, "cpu")); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(root, "net_cls"), 0o755); err != nil { // not mounted
			t.Fatal(err)
		}
		if mode == Hybrid {
			touch("unified", "cgroup.controllers")
		}
	}
	return root
}

func TestDetectMode(t *testing.T) {
	for _, m := range []Mode{Unified, Hybrid, Legacy} {
		if got := DetectMode(fakeRoot(t, m)); got != m {
			t.Errorf("DetectMode(%s layout) = %s", m, got)
		}
	}
	if got := DetectMode(t.TempDir()); got != Unavailable {
		t.Errorf("empty dir: %s", got)
	}
	if !IsV2(fakeRoot(t, Unified)) || IsV2(fakeRoot(t, Hybrid)) {
		t.Error("IsV2 is wrong")
	}
}

func TestResolve(t *testing.T) {
	own := parseProcCgroup("9:name=systemd:/user.slice\n4:memory:/process_api/x\n2:cpu,cpuacct:/\n0::/user.slice/session-1.scope\n")
	if own["cpuacct"] != "/" || own[""] != "/user.slice/session-1.scope" || own["name=systemd"] != "/user.slice" {
		t.Fatalf("parseProcCgroup = %v", own)
	}
	v2 := fakeRoot(t, Unified)
	hy := fakeRoot(t, Hybrid)
	tests := []struct {
		name  string
		root  string
		mode  Mode
		path  string
		check map[string]string // controller -> path below root
	}{
		{"v2 absolute", v2, Unified, "/machine/c1", map[string]string{"": "machine/c1"}},
		{"v2 default is id below parent of own", v2, Unified, "", map[string]string{"": "user.slice/c1"}},
		{"v2 relative", v2, Unified, "a/b", map[string]string{"": "user.slice/a/b"}},
		{"v2 dotdot cannot escape", v2, Unified, "/../../etc", map[string]string{"": "etc"}},
		{"v1 absolute", hy, Hybrid, "/hako/c1", map[string]string{
			"memory": "memory/hako/c1", "cpu": "cpu,cpuacct/hako/c1", "cpuacct": "cpu,cpuacct/hako/c1",
			"name=systemd": "systemd/hako/c1", "": "unified/hako/c1"}},
		{"v1 default is id below own", hy, Hybrid, "", map[string]string{
			"memory": "memory/process_api/x/c1", "cpu": "cpu,cpuacct/c1", "pids": "pids/c1",
			"name=systemd": "systemd/user.slice/c1", "": "unified/user.slice/session-1.scope/c1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolve(Config{Root: tt.root, Path: tt.path, ID: "c1"}, tt.mode, own)
			if err != nil {
				t.Fatal(err)
			}
			for c, want := range tt.check {
				if got[c] != filepath.Join(tt.root, want) {
					t.Errorf("%q: %q, want %q", c, got[c], filepath.Join(tt.root, want))
				}
			}
			if _, ok := got["net_cls"]; ok {
				t.Error("an unmounted hierarchy got a path")
			}
			if tt.mode == Unified && len(got) != 1 {
				t.Errorf("v2 paths = %v", got)
			}
		})
	}
	if _, err := resolve(Config{Root: v2, Path: "/"}, Unified, nil); err == nil {
		t.Error("the root cgroup was accepted")
	}
	if _, err := resolve(Config{Root: v2}, Unified, nil); err == nil {
		t.Error("no path and no id was accepted")
	}
}

func TestNewIsPureAndStable(t *testing.T) {
	root := fakeRoot(t, Hybrid)
	cfg := Config{Root: root, Path: "/hako/c1", ID: "c1"}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "memory", "hako")); !os.IsNotExist(err) {
		t.Fatalf("New created something: %v", err)
	}
	if m.Path("memory") != filepath.Join(root, "memory/hako/c1") || m.Path("") != filepath.Join(root, "unified/hako/c1") {
		t.Errorf("paths: %v", m.Paths())
	}
	// A later command restores the exact paths.
	m2, err := New(Config{Root: root, Path: "ignored", ID: "c1", Paths: m.Paths()})
	if err != nil || m2.Path("memory") != m.Path("memory") {
		t.Fatalf("restored manager: %v %v", m2, err)
	}
	if _, err := m.CgroupFD(); err == nil {
		t.Error("CgroupFD on v1 must fail")
	}
	if err := m.Set(&specs.LinuxResources{Unified: map[string]string{"memory.max": "1"}}); err == nil || !strings.Contains(err.Error(), "unified") {
		t.Errorf("unified on v1: %v", err)
	}
	v2, err := New(Config{Root: fakeRoot(t, Unified), Path: "/a/b"})
	if err != nil || !strings.HasSuffix(v2.Path("memory"), "/a/b") {
		t.Fatalf("v2: %v %v", v2, err)
	}
	if _, err := New(Config{Root: t.TempDir(), ID: "x"}); err == nil {
		t.Error("New without cgroups succeeded")
	}
	if _, err := New(Config{Root: root, ID: "x", Systemd: true}); err == nil || !strings.Contains(err.Error(), "systemd") {
		t.Errorf("systemd on v1: %v", err)
	}
}
