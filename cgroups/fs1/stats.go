package fs1

import (
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hako-runtime/hako/cgroups/internal/common"
)

// userHZ is the unit of cpuacct.stat (USER_HZ, 100 on every Linux ABI).
const userHZ = 100

// Stats reads the counters of every mounted controller; files that do
// not exist are skipped.
func (m *Manager) Stats() (*common.Stats, error) {
	s := &common.Stats{Hugetlb: map[string]common.Hugetlb{}}
	if dir, ok := m.paths["cpuacct"]; ok {
		s.CPU.Usage.Total, _ = common.ReadUint(dir, "cpuacct.usage")
		if c, err := common.ReadFile(dir, "cpuacct.usage_percpu"); err == nil {
			s.CPU.Usage.Percpu = fields(c)
		}
		if c, err := common.ReadFile(dir, "cpuacct.usage_all"); err == nil {
			s.CPU.Usage.PercpuUser, s.CPU.Usage.PercpuKernel = usageAll(c)
		}
		if st, err := common.ReadKeyValues(dir, "cpuacct.stat"); err == nil {
			s.CPU.Usage.User = st["user"] * (1e9 / userHZ)
			s.CPU.Usage.Kernel = st["system"] * (1e9 / userHZ)
		}
	}
	if dir, ok := m.paths["cpu"]; ok {
		if st, err := common.ReadKeyValues(dir, "cpu.stat"); err == nil {
			s.CPU.Throttling = common.Throttling{Periods: st["nr_periods"], ThrottledPeriods: st["nr_throttled"], ThrottledTime: st["throttled_time"]}
		}
	}
	if dir, ok := m.paths["cpuset"]; ok {
		s.CPUSet.CPUs = common.ParseList(read(dir, "cpuset.cpus"))
		s.CPUSet.Mems = common.ParseList(read(dir, "cpuset.mems"))
		s.CPUSet.CPUExclusive, _ = common.ReadUint(dir, "cpuset.cpu_exclusive")
		s.CPUSet.MemExclusive, _ = common.ReadUint(dir, "cpuset.mem_exclusive")
		s.CPUSet.MemHardwall, _ = common.ReadUint(dir, "cpuset.mem_hardwall")
		s.CPUSet.MemoryMigrate, _ = common.ReadUint(dir, "cpuset.memory_migrate")
		s.CPUSet.MemorySpreadPage, _ = common.ReadUint(dir, "cpuset.memory_spread_page")
		s.CPUSet.MemorySpreadSlab, _ = common.ReadUint(dir, "cpuset.memory_spread_slab")
		s.CPUSet.MemoryPressure, _ = common.ReadUint(dir, "cpuset.memory_pressure")
		s.CPUSet.SchedLoadBalance, _ = common.ReadUint(dir, "cpuset.sched_load_balance")
		s.CPUSet.SchedRelaxDomainLevel, _ = strconv.ParseInt(read(dir, "cpuset.sched_relax_domain_level"), 10, 64)
	}
	if dir, ok := m.paths["memory"]; ok {
		s.Memory.Usage = memEntry(dir, "memory")
		s.Memory.Swap = memEntry(dir, "memory.memsw")
		s.Memory.Kernel = memEntry(dir, "memory.kmem")
		s.Memory.KernelTCP = memEntry(dir, "memory.kmem.tcp")
		if raw, err := common.ReadKeyValues(dir, "memory.stat"); err == nil {
			s.Memory.Raw = raw
			s.Memory.Cache = raw["cache"]
		}
		if oc, err := common.ReadKeyValues(dir, "memory.oom_control"); err == nil {
			s.Memory.EventCount.OOMKill = oc["oom_kill"]
		}
	}
	if dir, ok := m.paths["pids"]; ok {
		s.Pids.Current, _ = common.ReadUint(dir, "pids.current")
		if l, err := common.ReadUint(dir, "pids.max"); err == nil && l != math.MaxUint64 {
			s.Pids.Limit = l
		}
	}
	if dir, ok := m.paths["blkio"]; ok {
		s.Blkio.IoServiceBytesRecursive = blkio(dir, "io_service_bytes_recursive")
		s.Blkio.IoServicedRecursive = blkio(dir, "io_serviced_recursive")
		s.Blkio.IoQueuedRecursive = blkio(dir, "io_queued_recursive")
		s.Blkio.IoServiceTimeRecursive = blkio(dir, "io_service_time_recursive")
		s.Blkio.IoWaitTimeRecursive = blkio(dir, "io_wait_time_recursive")
		s.Blkio.IoMergedRecursive = blkio(dir, "io_merged_recursive")
		s.Blkio.IoTimeRecursive = blkio(dir, "time_recursive")
		s.Blkio.SectorsRecursive = blkio(dir, "sectors_recursive")
	}
	if dir, ok := m.paths["hugetlb"]; ok {
		matches, _ := filepath.Glob(filepath.Join(dir, "hugetlb.*.usage_in_bytes"))
		for _, p := range matches {
			size := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "hugetlb."), ".usage_in_bytes")
			if strings.Contains(size, ".") {
				continue
			}
			e := memEntry(dir, "hugetlb."+size)
			s.Hugetlb[size] = common.Hugetlb{Usage: e.Usage, Max: e.Max, Failcnt: e.Failcnt}
		}
	}
	return s, nil
}

func read(dir, file string) string { s, _ := common.ReadFile(dir, file); return s }

func fields(s string) []uint64 {
	var out []uint64
	for _, f := range strings.Fields(s) {
		v, _ := strconv.ParseUint(f, 10, 64)
		out = append(out, v)
	}
	return out
}

func memEntry(dir, prefix string) common.MemoryEntry {
	var e common.MemoryEntry
	e.Usage, _ = common.ReadUint(dir, prefix+".usage_in_bytes")
	e.Max, _ = common.ReadUint(dir, prefix+".max_usage_in_bytes")
	e.Limit, _ = common.ReadUint(dir, prefix+".limit_in_bytes")
	e.Failcnt, _ = common.ReadUint(dir, prefix+".failcnt")
	return e
}

// blkio reads a v1 blkio stat, preferring the CFQ/BFQ file and falling
// back to the throttle one ("8:0 Read 4096" lines, "Total" skipped).
func blkio(dir, name string) []common.BlkioEntry {
	var c string
	for _, f := range []string{"blkio." + name, "blkio.bfq." + name, "blkio.throttle." + name} {
		if v, err := common.ReadFile(dir, f); err == nil && v != "" {
			c = v
			break
		}
	}
	return ParseBlkio(c)
}

// ParseBlkio parses a v1 blkio statistics file.
func ParseBlkio(c string) []common.BlkioEntry {
	var out []common.BlkioEntry
	for _, line := range strings.Split(c, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] == "Total" {
			continue
		}
		maj, min, ok := strings.Cut(f[0], ":")
		if !ok {
			continue
		}
		e := common.BlkioEntry{}
		e.Major, _ = strconv.ParseUint(maj, 10, 64)
		e.Minor, _ = strconv.ParseUint(min, 10, 64)
		if len(f) == 3 {
			e.Op = f[1]
			e.Value, _ = strconv.ParseUint(f[2], 10, 64)
		} else {
			e.Value, _ = strconv.ParseUint(f[1], 10, 64)
		}
		out = append(out, e)
	}
	return out
}

// usageAll parses cpuacct.usage_all ("cpu user system" then one line per
// CPU, in nanoseconds) into per-CPU user and system time; nil when the
// file has no rows.
func usageAll(c string) (user, kernel []uint64) {
	lines := strings.Split(strings.TrimSpace(c), "\n")
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 3 {
			return nil, nil
		}
		u, err1 := strconv.ParseUint(f[1], 10, 64)
		k, err2 := strconv.ParseUint(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, nil
		}
		user = append(user, u)
		kernel = append(kernel, k)
	}
	return user, kernel
}
