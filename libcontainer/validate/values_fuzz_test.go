package validate

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// maxValue bounds each fuzzed string: the parsers are linear, and a cpu
// list expands to at most 1024 cpus whatever its length.
const maxValue = 4 << 10

// FuzzValues drives the single-value parsers config.json and exec share:
// ID, Env, CPUList, MemPolicy, SchedAttr, IOPriority and Personality.
// Properties: no panic; a refused value gets an error that starts with its
// field and quotes the value (or says what is wrong with it); an accepted
// value gives what it says (the cpu set prints back to the same set, the
// environment keeps the last of each name in order, the ioprio and
// sched_attr numbers are the spec's).
func FuzzValues(f *testing.F) {
	f.Add("hako-1", "PATH=/bin\nHOME=/root\nA=1\nA=2", "0-3,7", "MPOL_BIND", "MPOL_F_STATIC_NODES", "SCHED_FIFO", "SCHED_FLAG_RESET_ON_FORK", int32(0), int32(10), uint64(0), uint64(0), uint64(0), "IOPRIO_CLASS_RT", 4, "LINUX")
	f.Add("..", "=x\nHOME=", " 1 , 2-2", "MPOL_DEFAULT", "", "SCHED_DEADLINE", "", int32(0), int32(0), uint64(1000), uint64(2000), uint64(3000), "IOPRIO_CLASS_BE", 7, "LINUX32")
	f.Add("a b", "A=\x00\nB", "1023", "MPOL_PREFERRED", "MPOL_F_NUMA_BALANCING", "SCHED_ISO", "SCHED_FLAG_NOPE", int32(-21), int32(100), uint64(1), uint64(0), uint64(0), "IOPRIO_CLASS_NONE", -1, "LINUX64")
	f.Add(strings.Repeat("x", 256), "HOME=/\nHOME=", "3-1", "MPOL_INTERLEAVE", "", "SCHED_OTHER", "", int32(19), int32(0), uint64(0), uint64(0), uint64(5), "IOPRIO_CLASS_IDLE", 0, "")
	f.Fuzz(func(t *testing.T, id, env, cpus, mode, mflag, policy, sflag string, nice, prio int32,
		runtime, deadline, period uint64, ioclass string, ioprio int, domain string) {
		for _, s := range []string{id, env, cpus, mode, mflag, policy, sflag, ioclass, domain} {
			if len(s) > maxValue {
				return
			}
		}
		checkID(t, id)
		checkEnv(t, strings.Split(env, "\n"))
		checkCPUList(t, cpus)
		var mflags []specs.MemoryPolicyFlagType
		if mflag != "" {
			mflags = append(mflags, specs.MemoryPolicyFlagType(mflag))
		}
		checkMemPolicy(t, &specs.LinuxMemoryPolicy{Mode: specs.MemoryPolicyModeType(mode), Nodes: cpus, Flags: mflags})
		var sflags []specs.LinuxSchedulerFlag
		if sflag != "" {
			sflags = append(sflags, specs.LinuxSchedulerFlag(sflag))
		}
		checkSched(t, &specs.Scheduler{Policy: specs.LinuxSchedulerPolicy(policy), Nice: nice, Priority: prio,
			Flags: sflags, Runtime: runtime, Deadline: deadline, Period: period})
		checkIOPrio(t, &specs.LinuxIOPriority{Class: specs.IOPriorityClass(ioclass), Priority: ioprio})
		checkPersonality(t, &specs.LinuxPersonality{Domain: specs.LinuxPersonalityDomain(domain)})
	})
}

// refused fails t unless err starts with field and contains every one of
// want (the offending value, as the error quotes it).
func refused(t *testing.T, err error, field string, want ...string) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, field) {
		t.Fatalf("error does not start with %s: %q", field, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Fatalf("error does not name %s: %q", w, msg)
		}
	}
}

func checkID(t *testing.T, id string) {
	err := ID(id)
	if err == nil {
		if id == "" || len(id) > MaxIDLen || id == "." || id == ".." || strings.ContainsAny(id, "/\x00 \n") {
			t.Fatalf("ID accepted %q", id)
		}
		return
	}
	switch msg := err.Error(); {
	case id == "":
		if !strings.Contains(msg, "empty") {
			t.Fatalf("empty id: %q", msg)
		}
	case len(id) > MaxIDLen:
		if !strings.Contains(msg, strconv.Itoa(MaxIDLen)) {
			t.Fatalf("long id: %q does not give the limit", msg)
		}
	default:
		if !strings.Contains(msg, id) {
			t.Fatalf("id %q refused with %q, which does not name it", id, msg)
		}
	}
}

func checkEnv(t *testing.T, env []string) {
	out, hasHome, err := Env(env)
	if err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "process.env[") {
			t.Fatalf("env error does not name process.env[i]: %q", msg)
		}
		i, rest, ok := strings.Cut(msg[len("process.env["):], "]")
		n, aerr := strconv.Atoi(i)
		if !ok || aerr != nil || n < 0 || n >= len(env) {
			t.Fatalf("env error names no entry of %d: %q", len(env), msg)
		}
		// the entry, or (for a NUL in the value) its name
		name, _, _ := strings.Cut(env[n], "=")
		if !strings.Contains(rest, fmt.Sprintf("%q", env[n])) && (name == "" || !strings.Contains(rest, fmt.Sprintf("%q", name))) {
			t.Fatalf("env error does not quote entry %d (%q): %q", n, env[n], msg)
		}
		return
	}
	last := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		last[k] = v
	}
	seen := map[string]bool{}
	home := false
	for _, kv := range out {
		k, v, ok := strings.Cut(kv, "=")
		switch {
		case !ok || k == "":
			t.Fatalf("env kept %q", kv)
		case seen[k]:
			t.Fatalf("env kept %s twice: %q", k, out)
		case last[k] != v:
			t.Fatalf("env kept %s=%q, the last one is %q", k, v, last[k])
		case strings.IndexByte(kv, 0) >= 0:
			t.Fatalf("env kept a NUL: %q", kv)
		case k == "HOME" && v == "":
			t.Fatalf("env kept an empty HOME")
		}
		seen[k] = true
		home = home || k == "HOME"
	}
	if home != hasHome {
		t.Fatalf("hasHome %v for %q", hasHome, out)
	}
	for k, v := range last {
		if !seen[k] && !(k == "HOME" && v == "") {
			t.Fatalf("env dropped %s", k)
		}
	}
}

func checkCPUList(t *testing.T, list string) {
	set, err := CPUList("process.execCPUAffinity.initial", list)
	if err != nil {
		refused(t, err, "process.execCPUAffinity.initial: ")
		if strings.TrimSpace(list) != "" {
			refused(t, err, "process.execCPUAffinity.initial: ", fmt.Sprintf("%q", list))
		}
		return
	}
	// the set printed back as a list parses to the same set
	var parts []string
	for c := 0; c < len(set)*64; c++ {
		if set.IsSet(c) {
			parts = append(parts, strconv.Itoa(c))
		}
	}
	if len(parts) == 0 {
		t.Fatalf("cpu list %q accepted as an empty set", list)
	}
	again, err := CPUList("x", strings.Join(parts, ","))
	if err != nil || *again != *set {
		t.Fatalf("cpu list %q: set %v does not round-trip: %v", list, parts, err)
	}
}

func checkMemPolicy(t *testing.T, p *specs.LinuxMemoryPolicy) {
	mode, mask, err := MemPolicy(p)
	if err != nil {
		refused(t, err, "linux.memoryPolicy.")
		switch msg := err.Error(); {
		case strings.HasPrefix(msg, "linux.memoryPolicy.mode: "):
			refused(t, err, "", fmt.Sprintf("%q", p.Mode))
		case strings.HasPrefix(msg, "linux.memoryPolicy.flags[0]: "):
			refused(t, err, "", fmt.Sprintf("%q", p.Flags[0]))
		case !strings.HasPrefix(msg, "linux.memoryPolicy.nodes: "):
			t.Fatalf("memory policy error names no field: %q", msg)
		}
		return
	}
	if base, ok := memPolicyModes[p.Mode]; !ok || mode&0xff != base {
		t.Fatalf("mode %q gave %#x", p.Mode, mode)
	}
	if (mask == nil) != (strings.TrimSpace(p.Nodes) == "") {
		t.Fatalf("nodes %q gave mask %v", p.Nodes, mask)
	}
}

func checkSched(t *testing.T, s *specs.Scheduler) {
	a, err := SchedAttr(s)
	if err != nil {
		refused(t, err, "process.scheduler")
		msg := err.Error()
		if strings.HasPrefix(msg, "process.scheduler.policy: ") && !strings.Contains(msg, fmt.Sprintf("%q", s.Policy)) && s.Policy != specs.SchedISO {
			t.Fatalf("policy %q refused without naming it: %q", s.Policy, msg)
		}
		if strings.HasPrefix(msg, "process.scheduler.flags[0]: ") && !strings.Contains(msg, fmt.Sprintf("%q", s.Flags[0])) {
			t.Fatalf("flag %q refused without naming it: %q", s.Flags[0], msg)
		}
		return
	}
	if a.Policy != schedPolicies[s.Policy] || a.Nice != s.Nice || int64(a.Priority) != int64(s.Priority) ||
		a.Runtime != s.Runtime || a.Deadline != s.Deadline || a.Period != s.Period || a.Size != unix.SizeofSchedAttr {
		t.Fatalf("sched attr %+v for %+v", a, s)
	}
	if s.Nice < -20 || s.Nice > 19 {
		t.Fatalf("nice %d accepted", s.Nice)
	}
}

func checkIOPrio(t *testing.T, p *specs.LinuxIOPriority) {
	v, err := IOPriority(p)
	if err != nil {
		refused(t, err, "process.ioPriority.")
		if strings.HasPrefix(err.Error(), "process.ioPriority.class") {
			refused(t, err, "", fmt.Sprintf("%q", p.Class))
		} else {
			refused(t, err, "process.ioPriority.priority: ", strconv.Itoa(p.Priority))
		}
		return
	}
	if v>>ioprioClassShift != ioprioClasses[p.Class] || v&7 != p.Priority || p.Priority > 7 || p.Priority < 0 {
		t.Fatalf("ioprio %#x for %+v", v, p)
	}
}

func checkPersonality(t *testing.T, p *specs.LinuxPersonality) {
	v, err := Personality(p)
	if err != nil {
		refused(t, err, "linux.personality.domain: ", fmt.Sprintf("%q", p.Domain))
		return
	}
	if (p.Domain == specs.PerLinux && v != 0) || (p.Domain == specs.PerLinux32 && v != 8) ||
		(p.Domain != specs.PerLinux && p.Domain != specs.PerLinux32) {
		t.Fatalf("personality %q gave %#x", p.Domain, v)
	}
}
