package fs1

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/cgroups/internal/common"
)

// Env is what Plan may learn about the target cgroups: which controllers
// are mounted and which of their files exist.
type Env interface {
	Has(controller string) bool
	Exists(controller, file string) bool
}

// ErrUnified is returned for linux.resources.unified on cgroup v1, with
// the text runc uses.
var ErrUnified = errors.New("invalid configuration: cannot use unified on cgroup v1")

type write struct{ common.Write }

type planner struct {
	env Env
	ws  []write
	err error
}

// add plans a write; field names the spec field for errors when the
// controller is not mounted or the file is missing.
func (p *planner) add(field, ctrl, file, value string) {
	if p.err != nil {
		return
	}
	if !p.env.Has(ctrl) {
		p.err = fmt.Errorf("%s: the %s controller is not mounted", field, ctrl)
		return
	}
	if !p.env.Exists(ctrl, file) {
		p.err = fmt.Errorf("%s: not supported by this kernel (no %s)", field, file)
		return
	}
	p.ws = append(p.ws, write{Write: common.Write{Controller: ctrl, File: file, Value: value}})
}

func i64s(v int64) string  { return strconv.FormatInt(v, 10) }
func u64s(v uint64) string { return strconv.FormatUint(v, 10) }

// Plan turns resources into ordered per-controller writes for v1. Devices
// are not planned here (they depend on devices.list, see Manager.Set);
// memory.kernel is ignored as in runc (removed from the kernel).
// Dependent pairs (memory/memsw limits, CFS period/quota) are written in a
// fixed order and Set retries a write refused with EINVAL after the
// others, which settles both raising and lowering.
func Plan(r *specs.LinuxResources, env Env) ([]write, error) {
	if r == nil {
		return nil, nil
	}
	if len(r.Unified) > 0 {
		return nil, ErrUnified
	}
	p := &planner{env: env}
	if m := r.Memory; m != nil {
		if m.Limit != nil && *m.Limit != 0 {
			p.add("memory.limit", "memory", "memory.limit_in_bytes", i64s(*m.Limit))
		}
		swap := m.Swap
		if m.Limit != nil && *m.Limit == -1 && (swap == nil || *swap == 0) {
			// runc: unlimited memory without a swap value means unlimited
			// swap too (a memsw limit below the new limit is invalid).
			unlimited := int64(-1)
			swap = &unlimited
		}
		if swap != nil && *swap != 0 {
			if *swap == -1 && env.Has("memory") && !env.Exists("memory", "memory.memsw.limit_in_bytes") {
				// no swap accounting: "unlimited swap" is already true
			} else {
				p.add("memory.swap", "memory", "memory.memsw.limit_in_bytes", i64s(*swap))
			}
		}
		if m.Reservation != nil && *m.Reservation != 0 {
			p.add("memory.reservation", "memory", "memory.soft_limit_in_bytes", i64s(*m.Reservation))
		}
		if m.KernelTCP != nil && *m.KernelTCP != 0 {
			p.add("memory.kernelTCP", "memory", "memory.kmem.tcp.limit_in_bytes", i64s(*m.KernelTCP))
		}
		if m.Swappiness != nil {
			if *m.Swappiness > 100 {
				return nil, fmt.Errorf("memory.swappiness: %d is above 100", *m.Swappiness)
			}
			p.add("memory.swappiness", "memory", "memory.swappiness", u64s(*m.Swappiness))
		}
		if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
			p.add("memory.disableOOMKiller", "memory", "memory.oom_control", "1")
		}
		if m.UseHierarchy != nil {
			v := "0"
			if *m.UseHierarchy {
				v = "1"
			}
			p.add("memory.useHierarchy", "memory", "memory.use_hierarchy", v)
		}
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 {
			p.add("cpu.shares", "cpu", "cpu.shares", u64s(*c.Shares))
		}
		if c.Period != nil && *c.Period != 0 {
			p.add("cpu.period", "cpu", "cpu.cfs_period_us", u64s(*c.Period))
		}
		if c.Quota != nil && *c.Quota != 0 {
			q := *c.Quota
			if q < 0 {
				q = -1
			}
			p.add("cpu.quota", "cpu", "cpu.cfs_quota_us", i64s(q))
		}
		if c.Burst != nil {
			p.add("cpu.burst", "cpu", "cpu.cfs_burst_us", u64s(*c.Burst))
		}
		if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 {
			p.add("cpu.realtimePeriod", "cpu", "cpu.rt_period_us", u64s(*c.RealtimePeriod))
		}
		if c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0 {
			p.add("cpu.realtimeRuntime", "cpu", "cpu.rt_runtime_us", i64s(*c.RealtimeRuntime))
		}
		if c.Idle != nil {
			p.add("cpu.idle", "cpu", "cpu.idle", i64s(*c.Idle))
		}
		if c.Cpus != "" {
			p.add("cpu.cpus", "cpuset", "cpuset.cpus", c.Cpus)
		}
		if c.Mems != "" {
			p.add("cpu.mems", "cpuset", "cpuset.mems", c.Mems)
		}
	}
	if pl := r.Pids; pl != nil && pl.Limit != nil {
		p.add("pids.limit", "pids", "pids.max", common.PidsMax(*pl.Limit))
	}
	if b := r.BlockIO; b != nil {
		planBlkio(p, b)
	}
	for i, h := range r.HugepageLimits {
		field := fmt.Sprintf("hugepageLimits[%d]", i)
		if env.Has("hugetlb") && !env.Exists("hugetlb", "hugetlb."+h.Pagesize+".limit_in_bytes") {
			return nil, fmt.Errorf("%s: page size %q is not supported", field, h.Pagesize)
		}
		if env.Exists("hugetlb", "hugetlb."+h.Pagesize+".rsvd.limit_in_bytes") {
			p.add(field, "hugetlb", "hugetlb."+h.Pagesize+".rsvd.limit_in_bytes", u64s(h.Limit))
		}
		p.add(field, "hugetlb", "hugetlb."+h.Pagesize+".limit_in_bytes", u64s(h.Limit))
	}
	if n := r.Network; n != nil {
		if n.ClassID != nil {
			p.add("network.classID", "net_cls", "net_cls.classid", strconv.FormatUint(uint64(*n.ClassID), 10))
		}
		for i, prio := range n.Priorities {
			p.add(fmt.Sprintf("network.priorities[%d]", i), "net_prio", "net_prio.ifpriomap", prio.Name+" "+strconv.FormatUint(uint64(prio.Priority), 10))
		}
	}
	for _, dev := range slices.Sorted(maps.Keys(r.Rdma)) {
		l := r.Rdma[dev]
		line := dev
		if l.HcaHandles != nil {
			line += " hca_handle=" + strconv.FormatUint(uint64(*l.HcaHandles), 10)
		}
		if l.HcaObjects != nil {
			line += " hca_object=" + strconv.FormatUint(uint64(*l.HcaObjects), 10)
		}
		if line != dev {
			p.add("rdma["+dev+"]", "rdma", "rdma.max", line)
		}
	}
	return p.ws, p.err
}

func planBlkio(p *planner, b *specs.LinuxBlockIO) {
	// CFQ is gone from current kernels; BFQ offers the same 10..1000
	// weights under blkio.bfq.*.
	// runc's choice: the BFQ files whenever CFQ's are absent. BFQ takes a
	// per-device weight in blkio.bfq.weight_device (its blkio.bfq.weight
	// takes a plain number only).
	weightFile, devFile := "blkio.weight", "blkio.weight_device"
	if !p.env.Exists("blkio", weightFile) {
		weightFile, devFile = "blkio.bfq.weight", "blkio.bfq.weight_device"
	}
	if b.Weight != nil && *b.Weight != 0 {
		p.add("blockIO.weight", "blkio", weightFile, u64s(uint64(*b.Weight)))
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		p.add("blockIO.leafWeight", "blkio", "blkio.leaf_weight", u64s(uint64(*b.LeafWeight)))
	}
	for i, d := range b.WeightDevice {
		dev := fmt.Sprintf("%d:%d ", d.Major, d.Minor)
		if d.Weight != nil {
			p.add(fmt.Sprintf("blockIO.weightDevice[%d].weight", i), "blkio", devFile, dev+u64s(uint64(*d.Weight)))
		}
		if d.LeafWeight != nil {
			p.add(fmt.Sprintf("blockIO.weightDevice[%d].leafWeight", i), "blkio", "blkio.leaf_weight_device", dev+u64s(uint64(*d.LeafWeight)))
		}
	}
	throttle := func(field, file string, list []specs.LinuxThrottleDevice) {
		for i, d := range list {
			p.add(fmt.Sprintf("blockIO.%s[%d]", field, i), "blkio", file, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate))
		}
	}
	throttle("throttleReadBpsDevice", "blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice)
	throttle("throttleWriteBpsDevice", "blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice)
	throttle("throttleReadIOPSDevice", "blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice)
	throttle("throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice)
}
