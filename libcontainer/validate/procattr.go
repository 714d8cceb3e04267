package validate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Process attributes the kernel takes as numbers: parsed here (pure, so the
// errors name the field before anything runs), applied by the host to the
// init's pid (libcontainer/procattr_linux.go).

// ioprio_set(2) values, from linux/ioprio.h (not in x/sys/unix).
const (
	ioprioClassShift = 13
	IOPrioWhoProcess = 1
)

var ioprioClasses = map[specs.IOPriorityClass]int{
	specs.IOPRIO_CLASS_RT: 1, specs.IOPRIO_CLASS_BE: 2, specs.IOPRIO_CLASS_IDLE: 3,
}

// IOPriority returns the ioprio_set value of process.ioPriority.
func IOPriority(p *specs.LinuxIOPriority) (int, error) {
	class, ok := ioprioClasses[p.Class]
	if !ok {
		return 0, fmt.Errorf("process.ioPriority.class: unknown class %q", p.Class)
	}
	if p.Priority < 0 || p.Priority > 7 {
		return 0, fmt.Errorf("process.ioPriority.priority: %d is outside 0..7", p.Priority)
	}
	return class<<ioprioClassShift | p.Priority, nil
}

var schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
	specs.SchedOther: unix.SCHED_NORMAL, specs.SchedFIFO: unix.SCHED_FIFO, specs.SchedRR: unix.SCHED_RR,
	specs.SchedBatch: unix.SCHED_BATCH, specs.SchedIdle: unix.SCHED_IDLE, specs.SchedDeadline: unix.SCHED_DEADLINE,
}

var schedFlags = map[specs.LinuxSchedulerFlag]uint64{
	specs.SchedFlagResetOnFork: unix.SCHED_FLAG_RESET_ON_FORK, specs.SchedFlagReclaim: unix.SCHED_FLAG_RECLAIM,
	specs.SchedFlagDLOverrun: unix.SCHED_FLAG_DL_OVERRUN, specs.SchedFlagKeepPolicy: unix.SCHED_FLAG_KEEP_POLICY,
	specs.SchedFlagKeepParams: unix.SCHED_FLAG_KEEP_PARAMS, specs.SchedFlagUtilClampMin: unix.SCHED_FLAG_UTIL_CLAMP_MIN,
	specs.SchedFlagUtilClampMax: unix.SCHED_FLAG_UTIL_CLAMP_MAX,
}

// SchedAttr returns the sched_setattr(2) attributes of process.scheduler.
func SchedAttr(s *specs.Scheduler) (*unix.SchedAttr, error) {
	policy, ok := schedPolicies[s.Policy]
	if !ok {
		if s.Policy == specs.SchedISO {
			return nil, fmt.Errorf("process.scheduler.policy: %s does not exist in Linux", s.Policy)
		}
		return nil, fmt.Errorf("process.scheduler.policy: unknown policy %q", s.Policy)
	}
	a := &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: policy}
	for i, f := range s.Flags {
		v, ok := schedFlags[f]
		if !ok {
			return nil, fmt.Errorf("process.scheduler.flags[%d]: unknown flag %q", i, f)
		}
		a.Flags |= v
	}
	if s.Nice < -20 || s.Nice > 19 {
		return nil, fmt.Errorf("process.scheduler.nice: %d is outside -20..19", s.Nice)
	}
	a.Nice = s.Nice
	realtime := policy == unix.SCHED_FIFO || policy == unix.SCHED_RR
	switch {
	case realtime && (s.Priority < 1 || s.Priority > 99):
		return nil, fmt.Errorf("process.scheduler.priority: %s needs 1..99, got %d", s.Policy, s.Priority)
	case !realtime && s.Priority != 0:
		return nil, fmt.Errorf("process.scheduler.priority: must be 0 for %s", s.Policy)
	}
	a.Priority = uint32(s.Priority)
	if policy == unix.SCHED_DEADLINE {
		if s.Runtime == 0 || s.Runtime > s.Deadline || (s.Period != 0 && s.Deadline > s.Period) {
			return nil, fmt.Errorf("process.scheduler: SCHED_DEADLINE needs 0 < runtime <= deadline <= period")
		}
	} else if s.Runtime|s.Deadline|s.Period != 0 {
		return nil, fmt.Errorf("process.scheduler: runtime, deadline and period are only for SCHED_DEADLINE")
	}
	a.Runtime, a.Deadline, a.Period = s.Runtime, s.Deadline, s.Period
	return a, nil
}

// CPUList parses a cpu list such as "0-3,7" (process.execCPUAffinity).
func CPUList(field, list string) (*unix.CPUSet, error) {
	var set unix.CPUSet
	if strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("%s: empty cpu list", field)
	}
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b >= len(set)*64 {
			return nil, fmt.Errorf("%s: invalid cpu list %q", field, list)
		}
		for c := a; c <= b; c++ {
			set.Set(c)
		}
	}
	return &set, nil
}

// set_mempolicy(2) modes and flags (linux/mempolicy.h).
var memPolicyModes = map[specs.MemoryPolicyModeType]int{
	specs.MpolDefault: 0, specs.MpolPreferred: 1, specs.MpolBind: 2, specs.MpolInterleave: 3,
	specs.MpolLocal: 4, specs.MpolPreferredMany: 5, specs.MpolWeightedInterleave: 6,
}

var memPolicyFlags = map[specs.MemoryPolicyFlagType]int{
	specs.MpolFNumaBalancing: 1 << 13, specs.MpolFRelativeNodes: 1 << 14, specs.MpolFStaticNodes: 1 << 15,
}

// MemPolicy returns the mode (with flags) and node mask of
// linux.memoryPolicy for set_mempolicy(2).
func MemPolicy(p *specs.LinuxMemoryPolicy) (mode int, mask []uint64, err error) {
	m, ok := memPolicyModes[p.Mode]
	if !ok {
		return 0, nil, fmt.Errorf("linux.memoryPolicy.mode: unknown mode %q", p.Mode)
	}
	for i, f := range p.Flags {
		v, ok := memPolicyFlags[f]
		if !ok {
			return 0, nil, fmt.Errorf("linux.memoryPolicy.flags[%d]: unknown flag %q", i, f)
		}
		m |= v
	}
	none := p.Mode == specs.MpolDefault || p.Mode == specs.MpolLocal
	if strings.TrimSpace(p.Nodes) == "" {
		if !none && p.Mode != specs.MpolPreferred {
			return 0, nil, fmt.Errorf("linux.memoryPolicy.nodes: %s needs nodes", p.Mode)
		}
		return m, nil, nil
	}
	if none {
		return 0, nil, fmt.Errorf("linux.memoryPolicy.nodes: must be empty for %s", p.Mode)
	}
	set, err := CPUList("linux.memoryPolicy.nodes", p.Nodes)
	if err != nil {
		return 0, nil, err
	}
	mask = make([]uint64, len(set))
	for i, w := range set {
		mask[i] = uint64(w)
	}
	return m, mask, nil
}

// Personality returns the personality(2) value of linux.personality.
// linux.personality.flags are not part of it: the runtime-spec defines no
// flag, and runc 1.5 warns and goes on (see PersonalityWarning).
func Personality(p *specs.LinuxPersonality) (uint, error) {
	var v uint
	switch p.Domain {
	case specs.PerLinux:
		v = 0x0000 // PER_LINUX
	case specs.PerLinux32:
		v = 0x0008 // PER_LINUX32
	default:
		return 0, fmt.Errorf("linux.personality.domain: unknown domain %q", p.Domain)
	}
	return v, nil
}

// PersonalityWarning is the warning for linux.personality.flags, which are
// ignored ("" when there are none).
func PersonalityWarning(p *specs.LinuxPersonality) string {
	if p == nil || len(p.Flags) == 0 {
		return ""
	}
	return fmt.Sprintf("linux.personality.flags: ignoring unsupported personality flags %q (the runtime-spec defines none)", p.Flags)
}

// MemPolicyModes and MemPolicyFlags list what linux.memoryPolicy takes.
func MemPolicyModes() []string { return sortedKeys(memPolicyModes) }
func MemPolicyFlags() []string { return sortedKeys(memPolicyFlags) }

func sortedKeys[K ~string, V any](m map[K]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}
