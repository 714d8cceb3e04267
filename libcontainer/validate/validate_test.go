package validate

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"abc", true}, {"a-b_c.d+e", true}, {strings.Repeat("x", 255), true},
		{"", false}, {".", false}, {"..", false}, {"a/b", false}, {"../x", false},
		{"a b", false}, {strings.Repeat("x", 256), false}, {"é", false},
	} {
		if err := ID(tc.id); (err == nil) != tc.ok {
			t.Errorf("ID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}

func TestOCIVersion(t *testing.T) {
	for v, ok := range map[string]bool{"1.0.0": true, "1.2.1": true, "1.3.0": true, "1.0.2-dev": true,
		"1.4.0": false, "2.0.0": false, "": false, "1.0": false, "x.y.z": false} {
		if err := OCIVersion(v); (err == nil) != ok {
			t.Errorf("OCIVersion(%q) = %v", v, err)
		}
	}
}

func base() *specs.Spec {
	return &specs.Spec{
		Version: "1.3.0",
		Root:    &specs.Root{Path: "rootfs"},
		Process: &specs.Process{Args: []string{"sh"}, Cwd: "/"},
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
			{Type: specs.MountNamespace}, {Type: specs.PIDNamespace}, {Type: specs.UTSNamespace},
		}},
	}
}

func TestSpec(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(s *specs.Spec)
		err  string
	}{
		{"ok", func(*specs.Spec) {}, ""},
		{"version", func(s *specs.Spec) { s.Version = "9.9.9" }, "ociVersion"},
		{"no root", func(s *specs.Spec) { s.Root = nil }, "root.path"},
		{"no process", func(s *specs.Spec) { s.Process = nil }, "process: must be set"},
		{"no args", func(s *specs.Spec) { s.Process.Args = nil }, "process.args"},
		{"relative cwd", func(s *specs.Spec) { s.Process.Cwd = "tmp" }, "process.cwd"},
		{"unknown cap is not an error", func(s *specs.Spec) {
			s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"CAP_FLY"}}
		}, ""},
		{"bad rlimit", func(s *specs.Spec) { s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_X"}} }, "process.rlimits[0].type"},
		{"soft>hard", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 10, Hard: 5}}
		}, "soft limit"},
		{"bad env", func(s *specs.Spec) { s.Process.Env = []string{"NOEQUALS"} }, "process.env[0]"},
		{"dup ns", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.PIDNamespace})
		}, "given twice"},
		{"unknown ns", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "foo"})
		}, `unknown namespace "foo"`},
		{"userns no maps", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		}, "needs uidMappings"},
		{"maps no userns", func(s *specs.Spec) {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
		}, "need a user namespace"},
		{"hostname no uts", func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[:2]; s.Hostname = "h" }, "uts namespace"},
		// runc runs a spec without a mount namespace, chrooted, but then
		// nothing can be masked.
		{"no mount ns", func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[1:] }, ""},
		{"no mount ns, masked paths", func(s *specs.Spec) {
			s.Linux.Namespaces = s.Linux.Namespaces[1:]
			s.Linux.MaskedPaths = []string{"/proc/kcore"}
		}, "needs a mount namespace"},
		{"timeoffsets joined ns", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace, Path: "/proc/1/ns/time"})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}}
		}, "joined by path"},
		{"timeoffsets no ns", func(s *specs.Spec) {
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}}
		}, "time namespace"},
		{"sysctl host", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"vm.swappiness": "1"} }, "not in a separate kernel namespace"},
		{"sysctl net no netns", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"} }, "needs a network namespace"},
		{"sysctl uts ok", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"kernel.domainname": "x"} }, ""},
		{"sysctl hostname", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"kernel/hostname": "x"} }, "conflicts with the OCI \"hostname\" field"},
		{"propagation", func(s *specs.Spec) { s.Linux.RootfsPropagation = "sideways" }, "linux.rootfsPropagation"},
		{"device type", func(s *specs.Spec) { s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/x", Type: "q"}} }, "linux.devices[0].type"},
		{"hook path", func(s *specs.Spec) { s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "rel"}}} }, "hooks.poststop[0].path"},
	} {
		s := base()
		tc.mod(s)
		err := Spec(s)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: Spec() = %v, want %q", tc.name, err, tc.err)
		}
	}
}
