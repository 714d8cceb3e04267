package lsm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestCheck(t *testing.T) {
	none, aa, se := Host{}, Host{AppArmor: true}, Host{SELinux: true}
	tests := []struct {
		name    string
		p       specs.Process
		h       Host
		wantErr string // "" = accepted
	}{
		{"no labels, no LSM", specs.Process{}, none, ""},
		{"profile with AppArmor", specs.Process{ApparmorProfile: "docker-default"}, aa, ""},
		{"unconfined is a profile name too", specs.Process{ApparmorProfile: "unconfined"}, aa, ""},
		{"profile without AppArmor", specs.Process{ApparmorProfile: "docker-default"}, se, `process.apparmorProfile: profile "docker-default" requested but AppArmor is not enabled`},
		{"profile with a newline", specs.Process{ApparmorProfile: "a\nchangeprofile b"}, aa, "process.apparmorProfile: \"a\\nchangeprofile b\" contains a NUL or newline"},
		{"profile with a NUL", specs.Process{ApparmorProfile: "a\x00b"}, aa, "contains a NUL"},
		{"profile with trailing blank", specs.Process{ApparmorProfile: "a "}, aa, "leading or trailing blanks"},
		{"label with SELinux", specs.Process{SelinuxLabel: "system_u:system_r:container_t:s0:c1,c2"}, se, ""},
		{"label without level", specs.Process{SelinuxLabel: "u:r:t"}, se, ""},
		{"label without SELinux", specs.Process{SelinuxLabel: "u:r:t:s0"}, aa, `process.selinuxLabel: label "u:r:t:s0" requested but SELinux is not enabled`},
		{"label too short", specs.Process{SelinuxLabel: "container_t"}, se, "process.selinuxLabel: \"container_t\" is not an SELinux context"},
		{"label with empty type", specs.Process{SelinuxLabel: "u:r::s0"}, se, "is not an SELinux context"},
		{"label with empty level", specs.Process{SelinuxLabel: "u:r:t:"}, se, "is not an SELinux context"},
		{"label with a blank", specs.Process{SelinuxLabel: "u:r:t t:s0"}, se, "contains blanks"},
		// A malformed label is refused before the host is even asked.
		{"malformed label without SELinux", specs.Process{SelinuxLabel: "x"}, none, "is not an SELinux context"},
		{"both, only AppArmor", specs.Process{ApparmorProfile: "p", SelinuxLabel: "u:r:t"}, aa, "SELinux is not enabled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(&tc.p, tc.h)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("accepted, want error containing %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
	if err := Check(nil, none); err != nil {
		t.Fatalf("nil process: %v", err)
	}
}

func TestCheckSpecMountLabel(t *testing.T) {
	spec := func(ml string) *specs.Spec {
		return &specs.Spec{Process: &specs.Process{}, Linux: &specs.Linux{MountLabel: ml}}
	}
	// Accepted without SELinux (and then not applied), refused when malformed.
	if err := CheckSpec(spec("system_u:object_r:container_file_t:s0:c1,c2"), Host{}); err != nil {
		t.Fatalf("well-formed mount label without SELinux: %v", err)
	}
	err := CheckSpec(spec("container_file_t"), Host{SELinux: true})
	if err == nil || !strings.HasPrefix(err.Error(), "linux.mountLabel: ") {
		t.Fatalf("malformed mount label: got %v", err)
	}
	err = CheckSpec(&specs.Spec{Process: &specs.Process{ApparmorProfile: "p"}}, Host{})
	if err == nil || !strings.HasPrefix(err.Error(), "process.apparmorProfile: ") {
		t.Fatalf("process checked too: got %v", err)
	}
	if err := CheckSpec(&specs.Spec{Process: &specs.Process{}}, Host{}); err != nil {
		t.Fatalf("no linux section: %v", err)
	}
}

func TestMountLabel(t *testing.T) {
	s := &specs.Spec{Linux: &specs.Linux{MountLabel: "u:object_r:t:s0"}}
	if got := MountLabel(s, Host{}); got != "" {
		t.Fatalf("without SELinux: %q, want none", got)
	}
	if got := MountLabel(s, Host{AppArmor: true}); got != "" {
		t.Fatalf("with AppArmor only: %q, want none", got)
	}
	if got := MountLabel(s, Host{SELinux: true}); got != "u:object_r:t:s0" {
		t.Fatalf("with SELinux: %q", got)
	}
	if got := MountLabel(&specs.Spec{}, Host{SELinux: true}); got != "" {
		t.Fatalf("no linux section: %q", got)
	}
}

func TestMountOption(t *testing.T) {
	const l = "system_u:object_r:container_file_t:s0:c1,c2"
	for _, fstype := range []string{"tmpfs", "devpts", "overlay", "shm"} {
		opt, ok := MountOption(fstype, l)
		// Bare value, commas and all: fsconfig takes it whole.
		if !ok || opt != "context="+l {
			t.Errorf("%s: got %q %v", fstype, opt, ok)
		}
	}
	for _, fstype := range []string{"proc", "sysfs", "cgroup", "cgroup2", "mqueue"} {
		if opt, ok := MountOption(fstype, l); ok {
			t.Errorf("%s takes no context option, got %q", fstype, opt)
		}
	}
	if opt, ok := MountOption("tmpfs", ""); ok {
		t.Errorf("empty label gave %q", opt)
	}
}

func TestAppArmorExec(t *testing.T) {
	if got := appArmorExec("docker-default"); got != "exec docker-default" {
		t.Fatalf("got %q", got)
	}
}

func TestAppArmorEnabled(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]bool{"Y\n": true, "N\n": false, "": false} {
		p := filepath.Join(dir, "enabled")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := appArmorEnabled(p); got != want {
			t.Errorf("parameter %q: got %v, want %v", content, got, want)
		}
	}
	if appArmorEnabled(filepath.Join(dir, "missing")) {
		t.Error("missing parameter (no AppArmor in the kernel) reads as enabled")
	}
}
