package fs2

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/cgroups/internal/common"
)

// Env is what Plan may learn about the target cgroup: which interface
// files exist and what a file holds now. A directory implements it in
// Set; tests use a map.
type Env interface {
	Exists(file string) bool
	Read(file string) (string, error)
}

// Optional writes may fail with ENOENT without failing Set (memory.swap.max
// on a kernel without swap accounting, when the value asks for no limit).
type write struct {
	common.Write
	optional bool
}

func w(file, value string) write { return write{Write: common.Write{File: file, Value: value}} }

// files a unified entry may not name: they move processes or change the
// shape of the tree rather than set a resource.
var unifiedForbidden = []string{
	"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.kill", "cgroup.type",
}

func limitStr(v int64) string {
	if v < 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// Plan turns resources into the ordered writes for a v2 cgroup. It does
// not touch devices (an eBPF program, see devices.Attach) nor the
// memory.checkBeforeUpdate comparison (a read of memory.current, in Set).
// Fields that v2 has no file for are ignored as runc does (memory
// swappiness, kernel, kernelTCP, disableOOMKiller, useHierarchy, blockIO
// leafWeight); fields whose request cannot be honoured fail with an
// error naming them (realtime CPU, network, a missing hugepage size, an
// unknown unified file).
func Plan(r *specs.LinuxResources, env Env) ([]write, error) {
	if r == nil {
		return nil, nil
	}
	var ws []write
	if m := r.Memory; m != nil {
		var limit, swap int64
		if m.Limit != nil {
			limit = *m.Limit
		}
		if m.Swap != nil {
			swap = *m.Swap
		}
		v2swap, err := SwapToV2(swap, limit)
		if err != nil {
			return nil, err
		}
		switch {
		case v2swap != 0:
			ws = append(ws, write{common.Write{File: "memory.swap.max", Value: limitStr(v2swap)}, v2swap == -1})
		case swap > 0:
			// memory and memory+swap equal: no swap at all.
			ws = append(ws, write{common.Write{File: "memory.swap.max", Value: "0"}, true})
		}
		if limit != 0 {
			ws = append(ws, w("memory.max", limitStr(limit)))
		}
		if m.Reservation != nil && *m.Reservation != 0 {
			ws = append(ws, w("memory.low", limitStr(*m.Reservation)))
		}
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 {
			ws = append(ws, w("cpu.weight", strconv.FormatUint(CPUSharesToWeight(*c.Shares), 10)))
		}
		quotaSet := c.Quota != nil && *c.Quota != 0
		periodSet := c.Period != nil && *c.Period != 0
		if quotaSet || periodSet {
			var quota string
			if quotaSet {
				quota = limitStr(*c.Quota)
			} else {
				// Period alone: keep the current quota.
				cur, err := env.Read("cpu.max")
				if err != nil {
					return nil, fmt.Errorf("cpu.period: %w", err)
				}
				quota, _, _ = strings.Cut(cur, " ")
			}
			if periodSet {
				quota += " " + strconv.FormatUint(*c.Period, 10)
			}
			ws = append(ws, w("cpu.max", quota))
		}
		if c.Burst != nil {
			ws = append(ws, w("cpu.max.burst", strconv.FormatUint(*c.Burst, 10)))
		}
		if (c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0) || (c.RealtimePeriod != nil && *c.RealtimePeriod != 0) {
			return nil, errors.New("cpu.realtimeRuntime/realtimePeriod: realtime scheduling is not supported on cgroup v2")
		}
		if c.Idle != nil {
			ws = append(ws, w("cpu.idle", strconv.FormatInt(*c.Idle, 10)))
		}
		if c.Cpus != "" {
			ws = append(ws, w("cpuset.cpus", c.Cpus))
		}
		if c.Mems != "" {
			ws = append(ws, w("cpuset.mems", c.Mems))
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		ws = append(ws, w("pids.max", common.PidsMax(*p.Limit)))
	}
	if b := r.BlockIO; b != nil {
		bw, err := planIO(b, env)
		if err != nil {
			return nil, err
		}
		ws = append(ws, bw...)
	}
	for i, h := range r.HugepageLimits {
		if !env.Exists("hugetlb." + h.Pagesize + ".max") {
			return nil, fmt.Errorf("hugepageLimits[%d]: page size %q is not supported (no hugetlb.%s.max)", i, h.Pagesize, h.Pagesize)
		}
		v := strconv.FormatUint(h.Limit, 10)
		if env.Exists("hugetlb." + h.Pagesize + ".rsvd.max") {
			ws = append(ws, w("hugetlb."+h.Pagesize+".rsvd.max", v))
		}
		ws = append(ws, w("hugetlb."+h.Pagesize+".max", v))
	}
	if len(r.Rdma) > 0 {
		for _, dev := range slices.Sorted(maps.Keys(r.Rdma)) {
			l := r.Rdma[dev]
			if strings.ContainsAny(dev, " \n") || dev == "" {
				return nil, fmt.Errorf("rdma: invalid device name %q", dev)
			}
			line := dev
			if l.HcaHandles != nil {
				line += " hca_handle=" + strconv.FormatUint(uint64(*l.HcaHandles), 10)
			}
			if l.HcaObjects != nil {
				line += " hca_object=" + strconv.FormatUint(uint64(*l.HcaObjects), 10)
			}
			if line != dev {
				ws = append(ws, w("rdma.max", line))
			}
		}
	}
	if n := r.Network; n != nil && (n.ClassID != nil || len(n.Priorities) > 0) {
		return nil, errors.New("network.classID/priorities: net_cls and net_prio do not exist on cgroup v2")
	}
	for _, k := range slices.Sorted(maps.Keys(r.Unified)) {
		if err := checkUnified(k, env); err != nil {
			return nil, err
		}
		ws = append(ws, w(k, r.Unified[k]))
	}
	return ws, nil
}

func checkUnified(k string, env Env) error {
	if err := common.CheckFileName(k); err != nil {
		return fmt.Errorf("unified[%q]: %w", k, err)
	}
	ctrl, _, ok := strings.Cut(k, ".")
	if !ok || ctrl == "" {
		return fmt.Errorf("unified[%q]: must be CONTROLLER.PARAMETER", k)
	}
	if slices.Contains(unifiedForbidden, k) {
		return fmt.Errorf("unified[%q]: not a resource file", k)
	}
	if !env.Exists(k) {
		if ctrl != "cgroup" {
			if s, err := env.Read("cgroup.controllers"); err == nil && !slices.Contains(strings.Fields(s), ctrl) {
				return fmt.Errorf("unified[%q]: controller %q is not available", k, ctrl)
			}
		}
		return fmt.Errorf("unified[%q]: no such cgroup file", k)
	}
	return nil
}

func planIO(b *specs.LinuxBlockIO, env Env) ([]write, error) {
	var ws []write
	bfq := env.Exists("io.bfq.weight")
	if b.Weight != nil && *b.Weight != 0 {
		if *b.Weight < 10 || *b.Weight > 1000 {
			return nil, fmt.Errorf("blockIO.weight: %d is outside [10, 1000]", *b.Weight)
		}
		if bfq {
			ws = append(ws, w("io.bfq.weight", strconv.FormatUint(uint64(*b.Weight), 10)))
		} else {
			ws = append(ws, w("io.weight", "default "+strconv.FormatUint(BlkioWeightToIOWeight(*b.Weight), 10)))
		}
	}
	for i, d := range b.WeightDevice {
		if d.Weight == nil {
			continue
		}
		if *d.Weight < 10 || *d.Weight > 1000 {
			return nil, fmt.Errorf("blockIO.weightDevice[%d]: weight %d is outside [10, 1000]", i, *d.Weight)
		}
		dev := fmt.Sprintf("%d:%d ", d.Major, d.Minor)
		if bfq {
			ws = append(ws, w("io.bfq.weight", dev+strconv.FormatUint(uint64(*d.Weight), 10)))
		} else {
			ws = append(ws, w("io.weight", dev+strconv.FormatUint(BlkioWeightToIOWeight(*d.Weight), 10)))
		}
	}
	throttle := func(list []specs.LinuxThrottleDevice, key string) {
		for _, d := range list {
			v := "max"
			if d.Rate != 0 {
				v = strconv.FormatUint(d.Rate, 10)
			}
			ws = append(ws, w("io.max", fmt.Sprintf("%d:%d %s=%s", d.Major, d.Minor, key, v)))
		}
	}
	throttle(b.ThrottleReadBpsDevice, "rbps")
	throttle(b.ThrottleWriteBpsDevice, "wbps")
	throttle(b.ThrottleReadIOPSDevice, "riops")
	throttle(b.ThrottleWriteIOPSDevice, "wiops")
	return ws, nil
}
