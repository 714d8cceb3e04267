package systemd

import (
	"fmt"
	"strings"
	"testing"

	sd "github.com/coreos/go-systemd/v22/dbus"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func show(ps []sd.Property) string {
	var s []string
	for _, p := range ps {
		s = append(s, fmt.Sprintf("%s=%v", p.Name, p.Value.Value()))
	}
	return strings.Join(s, " ")
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		path, id       string
		rootless       bool
		slice, unit    string
		dir, wantError string
	}{
		{"", "c1", false, "system.slice", "hako-c1.scope", "/system.slice", ""},
		{"", "c1", true, "user.slice", "hako-c1.scope", "/user.slice", ""},
		{"machine.slice:libpod:abc", "x", false, "machine.slice", "libpod-abc.scope", "/machine.slice", ""},
		{":crio:abc", "x", false, "system.slice", "crio-abc.scope", "/system.slice", ""},
		{"kubepods-besteffort-pod1.slice:cri-containerd:abc", "x", false, "kubepods-besteffort-pod1.slice",
			"cri-containerd-abc.scope", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice", ""},
		{"system.slice::abc", "x", false, "system.slice", "abc.scope", "/system.slice", ""},
		{"/abs/path", "x", false, "", "", "", "slice:prefix:name"},
		{"system.slice:p:", "x", false, "", "", "", "empty unit name"},
		{"system.slice:p:x.slice", "x", false, "", "", "", "not supported"},
		{"bad-.slice:p:x", "x", false, "", "", "", "invalid slice"},
		{"noslice:p:x", "x", false, "", "", "", "invalid slice"},
	}
	for _, tt := range tests {
		slice, unit, err := ParsePath(tt.path, tt.id, tt.rootless)
		if tt.wantError != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantError) {
				t.Errorf("ParsePath(%q) err = %v, want %q", tt.path, err, tt.wantError)
			}
			continue
		}
		if err != nil || slice != tt.slice || unit != tt.unit {
			t.Errorf("ParsePath(%q) = %q, %q, %v; want %q, %q", tt.path, slice, unit, err, tt.slice, tt.unit)
			continue
		}
		if dir, err := ExpandSlice(slice); err != nil || dir != tt.dir {
			t.Errorf("ExpandSlice(%q) = %q, %v; want %q", slice, dir, err, tt.dir)
		}
	}
	if d, err := ExpandSlice("-.slice"); err != nil || d != "/" {
		t.Errorf("root slice: %q %v", d, err)
	}
}

func TestProperties(t *testing.T) {
	maj := func(v int64) *int64 { return &v }
	names := func(typ byte, major int64) (string, bool) {
		if typ == 'c' && major == 136 {
			return "pts", true
		}
		return "", false
	}
	tests := []struct {
		name string
		r    specs.LinuxResources
		want string
	}{
		{"memory", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100 << 20), Reservation: i64(10 << 20), Swap: i64(300 << 20)}},
			"MemoryMax=104857600 MemoryLow=10485760 MemorySwapMax=209715200"},
		{"memory unlimited", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}},
			"MemoryMax=18446744073709551615 MemorySwapMax=18446744073709551615"},
		{"no swap", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(100)}}, "MemoryMax=100 MemorySwapMax=0"},
		{"cpu", specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1024), Quota: i64(50000), Period: u64(100000), Cpus: "0-2,9", Mems: "0"}},
			"CPUWeight=100 CPUQuotaPeriodUSec=100000 CPUQuotaPerSecUSec=500000 AllowedCPUs=[7 2] AllowedMemoryNodes=[1]"},
		{"quota rounds up to 10ms", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(12345), Period: u64(100000)}},
			"CPUQuotaPeriodUSec=100000 CPUQuotaPerSecUSec=130000"},
		{"quota without period, unlimited", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1)}},
			"CPUQuotaPerSecUSec=18446744073709551615"},
		{"pids", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}}, "TasksMax=18446744073709551615"},
		{"pids zero is one", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(0)}}, "TasksMax=1"},
		{"io weight", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(1000)}}, "IOWeight=10000"},
		{"devices strict", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: maj(1), Minor: maj(3), Access: "rwm"},
			{Allow: true, Type: "c", Major: maj(136), Access: "rw"},
			{Allow: true, Type: "c", Major: maj(99), Access: "r"},
			{Allow: true, Type: "b", Access: "m"},
		}}, "DevicePolicy=strict DeviceAllow=[{block-* m} {/dev/char/1:3 rwm} {char-pts rw}]"},
		{"devices allow all", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}},
			"DevicePolicy=auto DeviceAllow=[]"},
		{"unified mirrored", specs.LinuxResources{Unified: map[string]string{
			"memory.high": "max", "pids.max": "7", "cpuset.cpus": "1", "io.latency": "x"}},
			"AllowedCPUs=[2] MemoryHigh=18446744073709551615 TasksMax=7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := Properties(&tt.r, names)
			if err != nil {
				t.Fatal(err)
			}
			if got := show(ps); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	for _, r := range []specs.LinuxResources{
		{Memory: &specs.LinuxMemory{Swap: i64(10)}},
		{CPU: &specs.LinuxCPU{Cpus: "x"}},
		{Unified: map[string]string{"memory.max": "lots"}},
		{Devices: []specs.LinuxDeviceCgroup{{Type: "q"}}},
	} {
		if _, err := Properties(&r, nil); err == nil {
			t.Errorf("no error for %+v", r)
		}
	}
}

func TestAnnotationProperties(t *testing.T) {
	ps, err := AnnotationProperties(map[string]string{
		"org.systemd.property.TimeoutStopSec": "uint64 5",
		"org.systemd.property.CollectMode":    "'inactive-or-failed'",
		"org.systemd.property.RuntimeMaxSec":  "1.5",
		"io.kubernetes.other":                 "x",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := show(ps); got != "CollectMode=inactive-or-failed RuntimeMaxUSec=1500000 TimeoutStopUSec=5000000" {
		t.Errorf("got %s", got)
	}
	for _, bad := range []map[string]string{
		{"org.systemd.property.lower": "1"},
		{"org.systemd.property.X": "not a variant ("},
		{"org.systemd.property.TimeoutSec": "'str'"},
	} {
		if _, err := AnnotationProperties(bad); err == nil {
			t.Errorf("no error for %v", bad)
		}
	}
}
