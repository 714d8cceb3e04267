package libcontainer

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestMergeResourcesKeepsUnsetFields(t *testing.T) {
	i := func(v int64) *int64 { return &v }
	u := func(v uint64) *uint64 { return &v }
	dst := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i(64 << 20), Reservation: i(32 << 20)},
		CPU:    &specs.LinuxCPU{Shares: u(512), Cpus: "0"},
		Pids:   &specs.LinuxPids{Limit: i(10)},
	}
	mergeResources(dst, &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Swap: i(128 << 20)},
		CPU:    &specs.LinuxCPU{Quota: i(50000)},
	})
	m, c := dst.Memory, dst.CPU
	if *m.Limit != 64<<20 || *m.Reservation != 32<<20 || *m.Swap != 128<<20 {
		t.Fatalf("memory merged wrong: %+v", m)
	}
	if *c.Shares != 512 || c.Cpus != "0" || *c.Quota != 50000 || c.Period != nil {
		t.Fatalf("cpu merged wrong: %+v", c)
	}
	if *dst.Pids.Limit != 10 {
		t.Fatal("pids lost")
	}
}

func TestEffectiveResourcesAppendsDefaults(t *testing.T) {
	s := &specs.Spec{Linux: &specs.Linux{
		Resources: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
		Devices:   []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}},
	}}
	d := effectiveResources(s).Devices
	if len(d) != 1+len(defaultAllowed)+1 || d[0].Allow || !d[len(d)-1].Allow || *d[len(d)-1].Major != 10 {
		t.Fatalf("rules: %+v", d)
	}
	if len(s.Linux.Resources.Devices) != 1 {
		t.Fatal("spec modified")
	}
}
