package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// blockDevice returns the major:minor of a block device of the machine,
// for I/O throttling, or "" if there is none.
func blockDevice() (int64, int64, bool) {
	devs, _ := filepath.Glob("/sys/block/*/dev")
	for _, d := range devs {
		b, err := os.ReadFile(d)
		if err != nil || strings.Contains(d, "zram") {
			continue
		}
		var maj, min int64
		if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "%d:%d", &maj, &min); err == nil {
			return maj, min, true
		}
	}
	return 0, 0, false
}

// TestRootMoreFields sets the less common fields this machine supports
// and reads each file back.
func TestRootMoreFields(t *testing.T) {
	mode := needRoot(t)
	m := newManager(t, Config{})
	startChild(t, m, "sleep 100")
	yes := true
	r := &specs.LinuxResources{
		CPU: &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000), Burst: u64(20000), Idle: i64(0)},
	}
	want := map[[2]string]string{}
	if mode == Unified {
		want[[2]string{"", "cpu.max.burst"}] = "20000"
		want[[2]string{"", "cpu.idle"}] = "0"
		r.Unified = map[string]string{"memory.high": "104857600", "memory.oom.group": "1"}
		want[[2]string{"", "memory.high"}] = "104857600"
		want[[2]string{"", "memory.oom.group"}] = "1"
		if exists(filepath.Join(m.Path(""), "hugetlb.2MB.max")) {
			r.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}
			want[[2]string{"", "hugetlb.2MB.max"}] = "4194304"
			if exists(filepath.Join(m.Path(""), "hugetlb.2MB.rsvd.max")) {
				want[[2]string{"", "hugetlb.2MB.rsvd.max"}] = "4194304"
			}
		} else {
			t.Log("no hugetlb.2MB.max: hugetlb not checked")
		}
	} else {
		want[[2]string{"cpu", "cpu.cfs_burst_us"}] = "20000"
		want[[2]string{"cpu", "cpu.idle"}] = "0"
		r.Memory = &specs.LinuxMemory{Swappiness: u64(10), DisableOOMKiller: &yes, KernelTCP: i64(64 << 20), UseHierarchy: &yes}
		want[[2]string{"memory", "memory.swappiness"}] = "10"
		want[[2]string{"memory", "memory.kmem.tcp.limit_in_bytes"}] = "67108864"
		want[[2]string{"memory", "memory.use_hierarchy"}] = "1"
	}
	if maj, min, ok := blockDevice(); ok {
		dev := specs.LinuxBlockIODevice{Major: maj, Minor: min}
		r.BlockIO = &specs.LinuxBlockIO{
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 1 << 20}},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 100}},
		}
	} else {
		t.Log("no block device: I/O throttling not checked")
	}
	if err := m.Set(r); err != nil {
		t.Fatalf("set: %v", err)
	}
	for k, v := range want {
		if got := readFile(t, m, k[0], k[1]); got != v {
			t.Errorf("%s = %q, want %q", k[1], got, v)
		}
	}
	if mode != Unified {
		if oc := readFile(t, m, "memory", "memory.oom_control"); !strings.Contains(oc, "oom_kill_disable 1") {
			t.Errorf("memory.oom_control = %q", oc)
		}
	}
	if r.BlockIO != nil {
		maj, min := r.BlockIO.ThrottleReadBpsDevice[0].Major, r.BlockIO.ThrottleReadBpsDevice[0].Minor
		dev := itoa64(maj) + ":" + itoa64(min)
		if mode == Unified {
			got := readFile(t, m, "", "io.max")
			if !strings.Contains(got, dev+" rbps=1048576") || !strings.Contains(got, "wiops=100") {
				t.Errorf("io.max = %q", got)
			}
		} else {
			if got := readFile(t, m, "blkio", "blkio.throttle.read_bps_device"); got != dev+" 1048576" {
				t.Errorf("read_bps_device = %q", got)
			}
			if got := readFile(t, m, "blkio", "blkio.throttle.write_iops_device"); got != dev+" 100" {
				t.Errorf("write_iops_device = %q", got)
			}
		}
	}
	// A file this kernel does not have fails with the field's name.
	bad := &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "3MB", Limit: 1}}}
	if err := m.Set(bad); err == nil || !strings.Contains(err.Error(), "hugepageLimits[0]") {
		t.Errorf("bad page size: %v", err)
	}
}
