package fs2

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hako-runtime/hako/cgroups/internal/common"
)

// Stats reads the counters of the cgroup. Files of controllers that are
// not enabled are skipped; a missing cgroup is an error.
func (m *Manager) Stats() (*common.Stats, error) {
	if _, err := os.Stat(m.dir); err != nil {
		return nil, err
	}
	s := &common.Stats{Hugetlb: map[string]common.Hugetlb{}}
	m.cpuStats(s)
	m.memoryStats(s)
	if v, err := common.ReadUint(m.dir, "pids.current"); err == nil {
		s.Pids.Current = v
	}
	if v, err := common.ReadUint(m.dir, "pids.max"); err == nil && v != math.MaxUint64 {
		s.Pids.Limit = v
	}
	m.ioStats(s)
	m.hugetlbStats(s)
	if c, err := m.Read("cpuset.cpus.effective"); err == nil {
		s.CPUSet.CPUs = common.ParseList(c)
	}
	if c, err := m.Read("cpuset.mems.effective"); err == nil {
		s.CPUSet.Mems = common.ParseList(c)
	}
	return s, nil
}

func (m *Manager) cpuStats(s *common.Stats) {
	st, err := common.ReadKeyValues(m.dir, "cpu.stat")
	if err != nil {
		return
	}
	s.CPU.Usage.Total = st["usage_usec"] * 1000
	s.CPU.Usage.User = st["user_usec"] * 1000
	s.CPU.Usage.Kernel = st["system_usec"] * 1000
	s.CPU.Throttling.Periods = st["nr_periods"]
	s.CPU.Throttling.ThrottledPeriods = st["nr_throttled"]
	s.CPU.Throttling.ThrottledTime = st["throttled_usec"] * 1000
	s.CPU.PSI = m.psi("cpu.pressure")
}

func (m *Manager) memoryStats(s *common.Stats) {
	raw, err := common.ReadKeyValues(m.dir, "memory.stat")
	if err != nil {
		return
	}
	s.Memory.Raw = raw
	s.Memory.Cache = raw["file"]
	usage, _ := common.ReadUint(m.dir, "memory.current")
	limit, _ := common.ReadUint(m.dir, "memory.max")
	peak, _ := common.ReadUint(m.dir, "memory.peak")
	ev, _ := common.ReadKeyValues(m.dir, "memory.events")
	s.Memory.Usage = common.MemoryEntry{Usage: usage, Limit: limit, Max: peak, Failcnt: ev["max"]}
	s.Memory.EventCount = common.MemoryEventCount{
		Low: ev["low"], High: ev["high"], Max: ev["max"], OOM: ev["oom"], OOMKill: ev["oom_kill"],
	}
	// As runc does, swap is reported v1-style: memory+swap.
	if sw, err := common.ReadUint(m.dir, "memory.swap.current"); err == nil {
		swMax, _ := common.ReadUint(m.dir, "memory.swap.max")
		swPeak, _ := common.ReadUint(m.dir, "memory.swap.peak")
		s.Memory.Swap = common.MemoryEntry{Usage: sw + usage, Limit: satAdd(swMax, limit), Max: swPeak + peak}
	}
	s.Memory.PSI = m.psi("memory.pressure")
}

func satAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

func (m *Manager) ioStats(s *common.Stats) {
	c, err := m.Read("io.stat")
	if err == nil {
		for _, line := range strings.Split(c, "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			maj, min, ok := strings.Cut(f[0], ":")
			if !ok {
				continue
			}
			major, _ := strconv.ParseUint(maj, 10, 64)
			minor, _ := strconv.ParseUint(min, 10, 64)
			for _, kv := range f[1:] {
				k, v, _ := strings.Cut(kv, "=")
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					continue
				}
				e := common.BlkioEntry{Major: major, Minor: minor, Value: n}
				switch k {
				case "rbytes":
					e.Op = "Read"
					s.Blkio.IoServiceBytesRecursive = append(s.Blkio.IoServiceBytesRecursive, e)
				case "wbytes":
					e.Op = "Write"
					s.Blkio.IoServiceBytesRecursive = append(s.Blkio.IoServiceBytesRecursive, e)
				case "rios":
					e.Op = "Read"
					s.Blkio.IoServicedRecursive = append(s.Blkio.IoServicedRecursive, e)
				case "wios":
					e.Op = "Write"
					s.Blkio.IoServicedRecursive = append(s.Blkio.IoServicedRecursive, e)
				}
			}
		}
	}
	s.Blkio.PSI = m.psi("io.pressure")
}

func (m *Manager) hugetlbStats(s *common.Stats) {
	matches, _ := filepath.Glob(filepath.Join(m.dir, "hugetlb.*.current"))
	for _, p := range matches {
		size := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "hugetlb."), ".current")
		if strings.Contains(size, ".") {
			continue // hugetlb.<size>.rsvd.current
		}
		usage, _ := common.ReadUint(m.dir, "hugetlb."+size+".current")
		ev, _ := common.ReadKeyValues(m.dir, "hugetlb."+size+".events")
		s.Hugetlb[size] = common.Hugetlb{Usage: usage, Failcnt: ev["max"]}
	}
}

func (m *Manager) psi(file string) *common.PSIStats {
	c, err := m.Read(file)
	if err != nil {
		return nil
	}
	p, err := ParsePSI(c)
	if err != nil {
		return nil
	}
	return p
}

// ParsePSI parses a pressure file ("some avg10=.. avg60=.. avg300=.. total=..").
func ParsePSI(c string) (*common.PSIStats, error) {
	p := &common.PSIStats{}
	for _, line := range strings.Split(c, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var d *common.PSIData
		switch f[0] {
		case "some":
			d = &p.Some
		case "full":
			d = &p.Full
		default:
			return nil, errors.New("parse pressure: unknown line " + f[0])
		}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			var err error
			switch k {
			case "avg10":
				d.Avg10, err = strconv.ParseFloat(v, 64)
			case "avg60":
				d.Avg60, err = strconv.ParseFloat(v, 64)
			case "avg300":
				d.Avg300, err = strconv.ParseFloat(v, 64)
			case "total":
				d.Total, err = strconv.ParseUint(v, 10, 64)
			}
			if err != nil {
				return nil, errors.New("parse pressure: " + kv)
			}
		}
	}
	return p, nil
}
