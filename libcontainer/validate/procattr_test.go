package validate

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestIOPriority(t *testing.T) {
	if v, err := IOPriority(&specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 3}); err != nil || v != 2<<13|3 {
		t.Errorf("BE 3 = %d, %v", v, err)
	}
	for _, bad := range []specs.LinuxIOPriority{{Class: "IOPRIO_CLASS_X"}, {Class: specs.IOPRIO_CLASS_RT, Priority: 8}, {Class: specs.IOPRIO_CLASS_IDLE, Priority: -1}} {
		if _, err := IOPriority(&bad); err == nil || !strings.Contains(err.Error(), "process.ioPriority") {
			t.Errorf("%+v: err %v", bad, err)
		}
	}
}

func TestSchedAttr(t *testing.T) {
	a, err := SchedAttr(&specs.Scheduler{Policy: specs.SchedRR, Priority: 5, Flags: []specs.LinuxSchedulerFlag{specs.SchedFlagResetOnFork}})
	if err != nil || a.Policy != unix.SCHED_RR || a.Priority != 5 || a.Flags != unix.SCHED_FLAG_RESET_ON_FORK {
		t.Errorf("RR 5: %+v %v", a, err)
	}
	if a, err := SchedAttr(&specs.Scheduler{Policy: specs.SchedBatch, Nice: 7}); err != nil || a.Nice != 7 || a.Policy != unix.SCHED_BATCH {
		t.Errorf("batch nice 7: %+v %v", a, err)
	}
	if _, err := SchedAttr(&specs.Scheduler{Policy: specs.SchedDeadline, Runtime: 10, Deadline: 20, Period: 30}); err != nil {
		t.Errorf("deadline: %v", err)
	}
	for _, bad := range []specs.Scheduler{
		{Policy: specs.SchedISO}, {Policy: "SCHED_X"}, {Policy: specs.SchedFIFO}, {Policy: specs.SchedOther, Priority: 3},
		{Policy: specs.SchedOther, Nice: 20}, {Policy: specs.SchedDeadline, Runtime: 30, Deadline: 20},
		{Policy: specs.SchedOther, Runtime: 5}, {Policy: specs.SchedOther, Flags: []specs.LinuxSchedulerFlag{"SCHED_FLAG_X"}},
	} {
		if _, err := SchedAttr(&bad); err == nil || !strings.Contains(err.Error(), "process.scheduler") {
			t.Errorf("%+v: err %v", bad, err)
		}
	}
}

func TestCPUList(t *testing.T) {
	s, err := CPUList("f", "0-2,5")
	if err != nil || s.Count() != 4 || !s.IsSet(5) || s.IsSet(3) {
		t.Errorf("0-2,5: %v %v", s, err)
	}
	for _, bad := range []string{"", "a", "3-1", "-1", "1,,2", "0-99999"} {
		if _, err := CPUList("f", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestMemPolicyAndPersonality(t *testing.T) {
	mode, mask, err := MemPolicy(&specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0,2-3", Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}})
	if err != nil || mode != 2|1<<15 || len(mask) == 0 || mask[0] != 0b1101 {
		t.Errorf("bind 0,2-3 static: %x %v %v", mode, mask, err)
	}
	if mode, mask, err := MemPolicy(&specs.LinuxMemoryPolicy{Mode: specs.MpolLocal}); err != nil || mode != 4 || mask != nil {
		t.Errorf("local: %d %v %v", mode, mask, err)
	}
	for _, bad := range []specs.LinuxMemoryPolicy{{Mode: "MPOL_X"}, {Mode: specs.MpolBind}, {Mode: specs.MpolLocal, Nodes: "0"},
		{Mode: specs.MpolBind, Nodes: "x"}, {Mode: specs.MpolBind, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{"MPOL_F_X"}}} {
		if _, _, err := MemPolicy(&bad); err == nil || !strings.Contains(err.Error(), "linux.memoryPolicy") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if v, err := Personality(&specs.LinuxPersonality{Domain: specs.PerLinux32}); err != nil || v != 8 {
		t.Errorf("LINUX32: %d %v", v, err)
	}
	if _, err := Personality(&specs.LinuxPersonality{Domain: "BSD"}); err == nil || !strings.Contains(err.Error(), "linux.personality.domain") {
		t.Errorf("BSD: %v", err)
	}
	// Flags are ignored with a warning, as runc does: the spec defines none.
	flagged := &specs.LinuxPersonality{Domain: specs.PerLinux, Flags: []specs.LinuxPersonalityFlag{"X"}}
	if v, err := Personality(flagged); err != nil || v != 0 {
		t.Errorf("flags: %d %v", v, err)
	}
	if w := PersonalityWarning(flagged); !strings.Contains(w, "linux.personality.flags") || !strings.Contains(w, `"X"`) {
		t.Errorf("warning: %q", w)
	}
	if w := PersonalityWarning(&specs.LinuxPersonality{Domain: specs.PerLinux}); w != "" {
		t.Errorf("warning without flags: %q", w)
	}
}
