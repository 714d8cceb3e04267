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
