package fs2

import (
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/cgroups/internal/common"
)

type mapEnv map[string]string

func (m mapEnv) Exists(f string) bool { _, ok := m[f]; return ok }
func (m mapEnv) Read(f string) (string, error) {
	v, ok := m[f]
	if !ok {
		return "", os.ErrNotExist
	}
	return v, nil
}

// a v2 cgroup with every controller, as in the test VM.
var full = mapEnv{
	"cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc",
	"cpu.max":            "50000 100000",
	"memory.max":         "max", "memory.swap.max": "max", "memory.low": "0",
	"io.max": "", "io.weight": "default 100",
	"hugetlb.2MB.max": "max", "hugetlb.2MB.rsvd.max": "max", "hugetlb.1GB.max": "max",
	"memory.oom.group": "0", "cpu.uclamp.min": "0.00",
}

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func u32(v uint32) *uint32 { return &v }
func boolp(v bool) *bool   { return &v }
func plan(t *testing.T, r *specs.LinuxResources, env Env) string {
	t.Helper()
	ws, err := Plan(r, env)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	var s []string
	for _, w := range ws {
		s = append(s, w.String())
	}
	return strings.Join(s, "\n")
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name string
		r    specs.LinuxResources
		env  mapEnv
		want string
	}{
		{"empty", specs.LinuxResources{}, full, ""},
		{"memory limit only", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100 << 20)}}, full,
			"memory.max=104857600"},
		{"memory unlimited gives unlimited swap", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}}, full,
			"memory.swap.max=max\nmemory.max=max"},
		{"swap is memory+swap", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(300), Reservation: i64(50)}}, full,
			"memory.swap.max=200\nmemory.max=100\nmemory.low=50"},
		{"swap equal to memory disables swap", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(100)}}, full,
			"memory.swap.max=0\nmemory.max=100"},
		{"swap -1", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(-1)}}, full,
			"memory.swap.max=max\nmemory.max=100"},
		{"v1-only memory fields are ignored", specs.LinuxResources{Memory: &specs.LinuxMemory{
			Swappiness: u64(10), Kernel: i64(1), KernelTCP: i64(1), DisableOOMKiller: boolp(true), UseHierarchy: boolp(true)}}, full, ""},
		{"cpu", specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1024), Quota: i64(20000), Period: u64(100000),
			Burst: u64(1000), Idle: i64(1), Cpus: "0-1", Mems: "0"}}, full,
			"cpu.weight=100\ncpu.max=20000 100000\ncpu.max.burst=1000\ncpu.idle=1\ncpuset.cpus=0-1\ncpuset.mems=0"},
		{"quota -1 is max, quota alone keeps period", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1)}}, full, "cpu.max=max"},
		{"period alone keeps quota", specs.LinuxResources{CPU: &specs.LinuxCPU{Period: u64(200000)}}, full, "cpu.max=50000 200000"},
		{"pids positive", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(10)}}, full, "pids.max=10"},
		{"pids zero is one, as in runc", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(0)}}, full, "pids.max=1"},
		{"pids negative is max", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}}, full, "pids.max=max"},
		{"pids nil is untouched", specs.LinuxResources{Pids: &specs.LinuxPids{}}, full, ""},
		{"io without bfq", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
			Weight: u16(500), LeafWeight: u16(300),
			WeightDevice:            []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(10)}},
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1048576}},
			ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 0}},
			ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 100}},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 200}},
		}}, full,
			"io.weight=default 4950\nio.weight=8:0 1\nio.max=8:0 rbps=1048576\nio.max=8:0 wbps=max\nio.max=8:16 riops=100\nio.max=8:16 wiops=200"},
		{"io with bfq", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(500),
			WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(1000)}}}},
			mapEnv{"io.bfq.weight": "default 100"}, "io.bfq.weight=500\nio.bfq.weight=8:0 1000"},
		{"hugetlb with and without rsvd", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{
			{Pagesize: "2MB", Limit: 4 << 21}, {Pagesize: "1GB", Limit: 0}}}, full,
			"hugetlb.2MB.rsvd.max=8388608\nhugetlb.2MB.max=8388608\nhugetlb.1GB.max=0"},
		{"rdma sorted per device", specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{
			"mlx5_1": {HcaHandles: u32(3)}, "mlx4_0": {HcaHandles: u32(2), HcaObjects: u32(2000)}, "none": {}}}, full,
			"rdma.max=mlx4_0 hca_handle=2 hca_object=2000\nrdma.max=mlx5_1 hca_handle=3"},
		{"unified last and sorted", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(5)},
			Unified: map[string]string{"memory.oom.group": "1", "cpu.uclamp.min": "10"}}, full,
			"pids.max=5\ncpu.uclamp.min=10\nmemory.oom.group=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plan(t, &tt.r, tt.env); got != tt.want {
				t.Errorf("plan:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestPlanOptionalSwap(t *testing.T) {
	ws, err := Plan(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(100)}}, full)
	if err != nil || !ws[0].optional || ws[0].File != "memory.swap.max" {
		t.Fatalf("disabling swap must be optional (no swap accounting): %+v %v", ws, err)
	}
	ws, _ = Plan(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(200)}}, full)
	if ws[0].optional {
		t.Fatal("a real swap limit must not be optional")
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name, want string
		r          specs.LinuxResources
	}{
		{"swap without memory", "memory.swap", specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: i64(100)}}},
		{"swap below memory", "memory.swap", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(200), Swap: i64(100)}}},
		{"realtime", "cpu.realtimeRuntime", specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: i64(1000)}}},
		{"network", "network.classID", specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: u32(1)}}},
		{"hugetlb size", "hugepageLimits[0]", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "64KB", Limit: 1}}}},
		{"blkio weight range", "blockIO.weight", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(5)}}},
		{"unified escape", `unified["../x"]`, specs.LinuxResources{Unified: map[string]string{"../x": "1"}}},
		{"unified slash", `unified["a/memory.max"]`, specs.LinuxResources{Unified: map[string]string{"a/memory.max": "1"}}},
		{"unified procs", `unified["cgroup.procs"]`, specs.LinuxResources{Unified: map[string]string{"cgroup.procs": "1"}}},
		{"unified no dot", `must be CONTROLLER.PARAMETER`, specs.LinuxResources{Unified: map[string]string{"foo": "1"}}},
		{"unified unknown controller", `controller "net_cls" is not available`, specs.LinuxResources{Unified: map[string]string{"net_cls.classid": "1"}}},
		{"unified unknown file", `unified["memory.nosuch"]: no such cgroup file`, specs.LinuxResources{Unified: map[string]string{"memory.nosuch": "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Plan(&tt.r, full)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestConversions(t *testing.T) {
	for shares, weight := range map[uint64]uint64{0: 0, 1: 1, 2: 1, 1024: 100, 262144: 10000, 1 << 20: 10000, 512: 59, 2048: 174, 102: 17} {
		if got := CPUSharesToWeight(shares); got != weight {
			t.Errorf("CPUSharesToWeight(%d) = %d, want %d", shares, got, weight)
		}
	}
	for w, want := range map[uint16]uint64{0: 0, 10: 1, 1000: 10000, 500: 4950, 100: 910} {
		if got := BlkioWeightToIOWeight(w); got != want {
			t.Errorf("BlkioWeightToIOWeight(%d) = %d, want %d", w, got, want)
		}
	}
	for _, tt := range []struct{ swap, mem, want int64 }{{0, -1, -1}, {-1, 100, -1}, {0, 100, 0}, {300, 100, 200}, {100, 100, 0}} {
		if got, err := SwapToV2(tt.swap, tt.mem); err != nil || got != tt.want {
			t.Errorf("SwapToV2(%d, %d) = %d, %v; want %d", tt.swap, tt.mem, got, err, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	if got := common.ParseList("0-2,5,7-8"); len(got) != 6 || got[3] != 5 || got[5] != 8 {
		t.Errorf("ParseList = %v", got)
	}
	p, err := ParsePSI("some avg10=1.50 avg60=0.00 avg300=0.00 total=42\nfull avg10=0.00 avg60=0.25 avg300=0.00 total=7\n")
	if err != nil || p.Some.Avg10 != 1.5 || p.Some.Total != 42 || p.Full.Avg60 != 0.25 || p.Full.Total != 7 {
		t.Errorf("ParsePSI = %+v, %v", p, err)
	}
}
