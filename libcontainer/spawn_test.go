package libcontainer

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/syncproto"
)

func TestBootstrap(t *testing.T) {
	s := &specs.Spec{Linux: &specs.Linux{
		Namespaces: []specs.LinuxNamespace{
			{Type: specs.UserNamespace}, {Type: specs.MountNamespace},
			{Type: specs.NetworkNamespace, Path: "/run/netns/a"}, {Type: specs.TimeNamespace},
		},
		TimeOffsets: map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}},
	}}
	b := bootstrap(s, nil, nil)
	want := uintptr(unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWTIME)
	if b.Clone != want || len(b.Joins) != 1 || b.Joins[0] != (syncproto.Join{Flag: unix.CLONE_NEWNET, Path: "/run/netns/a"}) {
		t.Errorf("create: clone %#x joins %v", b.Clone, b.Joins)
	}
	if !b.Maps || !b.Timens {
		t.Errorf("create: maps %v timens %v, want both for a new user and time namespace", b.Maps, b.Timens)
	}

	// exec joins every namespace through the given paths, creates none
	// and so asks for neither maps nor offsets
	paths := map[specs.LinuxNamespaceType]string{}
	for i, ns := range s.Linux.Namespaces {
		paths[ns.Type] = "/proc/self/fd/" + string(rune('3'+i))
	}
	b = bootstrap(s, paths, []byte{1})
	if b.Clone != 0 || len(b.Joins) != 4 || b.Maps || b.Timens || len(b.Plan) != 1 {
		t.Errorf("exec: %+v", b)
	}
	for i, j := range b.Joins {
		if j.Path != paths[s.Linux.Namespaces[i].Type] {
			t.Errorf("exec join %d: %v", i, j)
		}
	}

	// a time namespace without offsets needs no round trip
	s.Linux.TimeOffsets = nil
	if b := bootstrap(s, nil, nil); b.Timens {
		t.Error("timens asked for without offsets")
	}
}

func TestProcRelative(t *testing.T) {
	for p, want := range map[string]bool{
		"/proc/kcore": false, "/proc/sys": false, "/proc/self/mounts": true, "/proc/thread-self": true,
		"/proc/1/environ": true, "/proc/mounts": true, "/proc/net/dev": true, "proc/self": true,
		"/sys/firmware": false, "/proc": false, "/proc/../proc/self/x": true,
	} {
		if got := procRelative(p); got != want {
			t.Errorf("procRelative(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestCreateAppliesInC(t *testing.T) {
	base := func() *specs.Spec {
		return &specs.Spec{
			Process: &specs.Process{Args: []string{"true"}, Cwd: "/"},
			Linux: &specs.Linux{
				Namespaces:  []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.MountNamespace}},
				MaskedPaths: []string{"/proc/kcore"},
			},
		}
	}
	if d := newCreateInit(&Container{}, &CreateOpts{}, base(), nil); !d.appliesInC() {
		t.Fatal("a plain container does not go to the C applier")
	}
	for name, change := range map[string]func(*specs.Spec, *CreateOpts){
		"terminal": func(s *specs.Spec, _ *CreateOpts) { s.Process.Terminal = true },
		"no pivot": func(_ *specs.Spec, o *CreateOpts) { o.NoPivot = true },
		"apparmor": func(s *specs.Spec, _ *CreateOpts) { s.Process.ApparmorProfile = "p" },
		"selinux":  func(s *specs.Spec, _ *CreateOpts) { s.Process.SelinuxLabel = "l" },
		"createContainer": func(s *specs.Spec, _ *CreateOpts) {
			s.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/x"}}}
		},
		"startContainer": func(s *specs.Spec, _ *CreateOpts) { s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/x"}}} },
		"userns": func(s *specs.Spec, _ *CreateOpts) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		},
		"joined mount ns": func(s *specs.Spec, _ *CreateOpts) { s.Linux.Namespaces[1].Path = "/proc/1/ns/mnt" },
		"no mount ns":     func(s *specs.Spec, _ *CreateOpts) { s.Linux.Namespaces = s.Linux.Namespaces[:1] },
		"idmap": func(s *specs.Spec, _ *CreateOpts) {
			s.Mounts = []specs.Mount{{Destination: "/x", Source: "/y", Options: []string{"bind", "idmap"}}}
		},
		"self mask": func(s *specs.Spec, _ *CreateOpts) { s.Linux.MaskedPaths = []string{"/proc/self/mountinfo"} },
		"self ro":   func(s *specs.Spec, _ *CreateOpts) { s.Linux.ReadonlyPaths = []string{"/proc/net"} },
	} {
		s, o := base(), &CreateOpts{}
		change(s, o)
		if newCreateInit(&Container{}, o, s, nil).appliesInC() {
			t.Errorf("%s: the C applier was chosen", name)
		}
	}
}
