package cgroups

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestWithoutCgroup(t *testing.T) {
	limit := int64(10)
	dev := specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}}
	pids := specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}
	denied := fmt.Errorf("create cgroup /x: %w", os.ErrPermission)
	for _, tc := range []struct {
		name string
		cfg  Config
		err  error
		want bool
	}{
		{"rootless, refused, device rules only", Config{Rootless: true, Resources: &dev}, denied, true},
		{"rootless, read-only cgroupfs", Config{Rootless: true}, syscall.EROFS, true},
		{"not rootless", Config{Resources: &dev}, denied, false},
		{"explicit cgroupsPath", Config{Rootless: true, Path: "/x"}, denied, false},
		{"a limit needs the cgroup", Config{Rootless: true, Resources: &pids}, denied, false},
		{"another error", Config{Rootless: true}, errors.New("boom"), false},
		{"no error", Config{Rootless: true}, nil, false},
	} {
		if got := tc.cfg.withoutCgroup(tc.err); got != tc.want {
			t.Errorf("%s: withoutCgroup = %v, want %v", tc.name, got, tc.want)
		}
	}
	err := Config{Rootless: true, Resources: &pids}.tolerate(denied)
	if err == nil || !errors.Is(err, os.ErrPermission) {
		t.Fatalf("tolerate with a limit: %v", err)
	}
}

// TestRootlessDevicesLast: a rootless container's device rules are set
// apart from its limits, and their refusal is not an error.
func TestRootlessDevicesLast(t *testing.T) {
	limit := int64(10)
	r := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}, Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}
	var calls []string
	set := func(x *specs.LinuxResources) error {
		if len(x.Devices) > 0 {
			calls = append(calls, "devices")
			return os.ErrPermission
		}
		calls = append(calls, "limits")
		return nil
	}
	if err := (Config{Rootless: true}).set(set, r); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(calls) != "[limits devices]" {
		t.Fatalf("calls %v", calls)
	}
	calls = nil
	if err := (Config{}).set(set, r); err == nil || fmt.Sprint(calls) != "[devices]" {
		t.Fatalf("not rootless: %v %v", err, calls)
	}
}
