package fs1

import (
	"errors"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// env: controller -> files present.
type env map[string][]string

func (e env) Has(c string) bool { _, ok := e[c]; return ok }
func (e env) Exists(c, f string) bool {
	for _, x := range e[c] {
		if x == f {
			return true
		}
	}
	return false
}

// like the development host: no hugetlb, net_cls, net_prio, rdma; BFQ, no CFQ.
var host = env{
	"memory": {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes",
		"memory.kmem.tcp.limit_in_bytes", "memory.swappiness", "memory.oom_control", "memory.use_hierarchy"},
	"cpu": {"cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.cfs_burst_us", "cpu.rt_period_us",
		"cpu.rt_runtime_us", "cpu.idle"},
	"cpuset": {"cpuset.cpus", "cpuset.mems"},
	"pids":   {"pids.max"},
	"blkio": {"blkio.bfq.weight", "blkio.bfq.weight_device", "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"},
}

var withAll = env{
	"hugetlb":  {"hugetlb.2MB.limit_in_bytes", "hugetlb.2MB.rsvd.limit_in_bytes", "hugetlb.1GB.limit_in_bytes"},
	"net_cls":  {"net_cls.classid"},
	"net_prio": {"net_prio.ifpriomap"},
	"rdma":     {"rdma.max"},
	"blkio":    {"blkio.weight", "blkio.weight_device", "blkio.leaf_weight", "blkio.leaf_weight_device"},
}

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func u32(v uint32) *uint32 { return &v }
func bp(v bool) *bool      { return &v }

func show(t *testing.T, r *specs.LinuxResources, e Env) string {
	t.Helper()
	ws, err := Plan(r, e)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	var s []string
	for _, w := range ws {
		s = append(s, w.String())
	}
	return strings.Join(s, "\n")
}

func dev(maj, min int64) specs.LinuxBlockIODevice {
	return specs.LinuxBlockIODevice{Major: maj, Minor: min}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name string
		r    specs.LinuxResources
		e    env
		want string
	}{
		{"memory", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(200), Reservation: i64(50),
			Kernel: i64(1), KernelTCP: i64(10), Swappiness: u64(0), DisableOOMKiller: bp(true), UseHierarchy: bp(true)}}, host,
			"memory:memory.limit_in_bytes=100\nmemory:memory.memsw.limit_in_bytes=200\nmemory:memory.soft_limit_in_bytes=50\n" +
				"memory:memory.kmem.tcp.limit_in_bytes=10\nmemory:memory.swappiness=0\nmemory:memory.oom_control=1\nmemory:memory.use_hierarchy=1"},
		{"memory unlimited", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1), Swap: i64(-1)}}, host,
			"memory:memory.limit_in_bytes=-1\nmemory:memory.memsw.limit_in_bytes=-1"},
		{"unlimited swap without swap accounting", specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: i64(-1)}},
			env{"memory": {"memory.limit_in_bytes"}}, ""},
		{"cpu", specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(512), Quota: i64(50000), Period: u64(100000), Burst: u64(10),
			RealtimePeriod: u64(1000000), RealtimeRuntime: i64(950000), Idle: i64(0), Cpus: "0", Mems: "0"}}, host,
			"cpu:cpu.shares=512\ncpu:cpu.cfs_period_us=100000\ncpu:cpu.cfs_quota_us=50000\ncpu:cpu.cfs_burst_us=10\n" +
				"cpu:cpu.rt_period_us=1000000\ncpu:cpu.rt_runtime_us=950000\ncpu:cpu.idle=0\ncpuset:cpuset.cpus=0\ncpuset:cpuset.mems=0"},
		{"negative quota is -1", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-5)}}, host, "cpu:cpu.cfs_quota_us=-1"},
		{"pids zero is one, as in runc", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(0)}}, host, "pids:pids.max=1"},
		{"unlimited memory makes swap unlimited", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1), Swap: i64(0)}}, host,
			"memory:memory.limit_in_bytes=-1\nmemory:memory.memsw.limit_in_bytes=-1"},
		{"pids negative", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}}, host, "pids:pids.max=max"},
		{"blkio bfq", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(300),
			WeightDevice:            []specs.LinuxWeightDevice{{LinuxBlockIODevice: dev(8, 0), Weight: u16(20)}},
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 0), Rate: 1000}},
			ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 0), Rate: 2000}},
			ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 0), Rate: 3}},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 0), Rate: 0}}}}, host,
			"blkio:blkio.bfq.weight=300\nblkio:blkio.bfq.weight_device=8:0 20\nblkio:blkio.throttle.read_bps_device=8:0 1000\n" +
				"blkio:blkio.throttle.write_bps_device=8:0 2000\nblkio:blkio.throttle.read_iops_device=8:0 3\nblkio:blkio.throttle.write_iops_device=8:0 0"},
		{"blkio cfq", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(300), LeafWeight: u16(200),
			WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: dev(8, 0), Weight: u16(20), LeafWeight: u16(30)}}}}, withAll,
			"blkio:blkio.weight=300\nblkio:blkio.leaf_weight=200\nblkio:blkio.weight_device=8:0 20\nblkio:blkio.leaf_weight_device=8:0 30"},
		{"hugetlb, net, rdma", specs.LinuxResources{
			HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1 << 21}, {Pagesize: "1GB", Limit: 0}},
			Network:        &specs.LinuxNetwork{ClassID: u32(0x100001), Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}},
			Rdma:           map[string]specs.LinuxRdma{"mlx4_0": {HcaObjects: u32(7)}}}, withAll,
			"hugetlb:hugetlb.2MB.rsvd.limit_in_bytes=2097152\nhugetlb:hugetlb.2MB.limit_in_bytes=2097152\nhugetlb:hugetlb.1GB.limit_in_bytes=0\n" +
				"net_cls:net_cls.classid=1048577\nnet_prio:net_prio.ifpriomap=eth0 5\nrdma:rdma.max=mlx4_0 hca_object=7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(t, &tt.r, tt.e); got != tt.want {
				t.Errorf("plan:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name, want string
		r          specs.LinuxResources
	}{
		{"unified", "cannot use unified on cgroup v1", specs.LinuxResources{Unified: map[string]string{"memory.max": "1"}}},
		{"hugetlb not mounted", "hugepageLimits[0]: the hugetlb controller is not mounted",
			specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}}}},
		{"net_cls not mounted", "network.classID: the net_cls controller is not mounted",
			specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: u32(1)}}},
		{"leaf weight without cfq", "blockIO.leafWeight: not supported by this kernel (no blkio.leaf_weight)",
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: u16(100)}}},
		{"swappiness range", "memory.swappiness", specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(101)}}},
		{"swap without accounting", "memory.swap: not supported",
			specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: i64(100)}}},
	}
	e := host
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := Env(e)
			if tt.name == "swap without accounting" {
				cur = env{"memory": {"memory.limit_in_bytes"}}
			}
			_, err := Plan(&tt.r, cur)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := Plan(&specs.LinuxResources{Unified: map[string]string{"a.b": "1"}}, host); !errors.Is(err, ErrUnified) {
		t.Errorf("unified error is not ErrUnified: %v", err)
	}
}

func TestParseBlkio(t *testing.T) {
	got := ParseBlkio("8:0 Read 4096\n8:0 Write 8192\n8:16 Sync 1\nTotal 12288\n")
	if len(got) != 3 || got[1].Op != "Write" || got[1].Value != 8192 || got[2].Minor != 16 {
		t.Errorf("ParseBlkio = %+v", got)
	}
	if got := ParseBlkio("8:0 42\n"); len(got) != 1 || got[0].Value != 42 || got[0].Op != "" {
		t.Errorf("ParseBlkio(sectors) = %+v", got)
	}
}
