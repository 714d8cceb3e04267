package seccomp

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// maxProfile bounds one fuzz input: default.json is 8 KB and compiles in
// a few milliseconds; twice that keeps every input fast.
const maxProfile = 16 << 10

// FuzzCompile compiles linux.seccomp profiles decoded from fuzzed JSON.
// Properties: no panic; a refused profile's error is a *FieldError whose
// field is a linux.seccomp path (an unknown name is quoted), or says that
// the program is too long for the kernel; an accepted profile gives a
// program of 1..4096 instructions that survives the JSON trip to the init
// and, run in a BPF interpreter for the native architecture, returns for
// each syscall that one unconditional rule names the action of that rule.
func FuzzCompile(f *testing.F) {
	def, err := os.ReadFile("testdata/default.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	for _, s := range []string{
		`{"defaultAction": "SCMP_ACT_ALLOW"}`,
		`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "flags": ["SECCOMP_FILTER_FLAG_LOG"], "syscalls": [{"names": ["read", "write", "nosuchcall"], "action": "SCMP_ACT_ALLOW"}, {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}`,
		`{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}, {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}, {"index": 1, "value": 1, "op": "SCMP_CMP_GT"}]}]}`,
		`{"defaultAction": "SCMP_ACT_NOTIFY"}`,
		`{"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [{"names": ["write"], "action": "SCMP_ACT_NOTIFY"}]}`,
		`{"defaultAction": "SCMP_ACT_TRAP", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_TRACE", "errnoRet": 70000}, {"names": [], "action": "SCMP_ACT_LOG"}]}`,
		`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_KILL", "args": [{"index": 6, "op": "SCMP_CMP_NE"}]}]}`,
		`{"defaultAction": "SCMP_ACT_BOGUS", "architectures": ["SCMP_ARCH_NOPE"], "flags": ["FLAG_NOPE"]}`,
		`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}, {"names": ["getpid"], "action": "SCMP_ACT_KILL_THREAD"}, {"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}]}`,
	} {
		f.Add([]byte(s))
	}
	native, err := nativeArch()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxProfile {
			return
		}
		var s specs.LinuxSeccomp
		if json.Unmarshal(data, &s) != nil {
			return // not a profile: LoadSpec refuses it first (FuzzConfig)
		}
		p, err := Compile(&s)
		if err != nil {
			checkRefused(t, err)
			return
		}
		if n := len(p.Instructions); n == 0 || n > maxInstructions {
			t.Fatalf("accepted profile compiled to %d instructions", n)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("program does not encode: %v", err)
		}
		var back Program
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(*p, back) {
			t.Fatalf("program changed through JSON (%v)", err)
		}
		checkActions(t, &s, p, archs[native].audit)
	})
}

func checkRefused(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "compile seccomp profile: ") {
		t.Fatalf("error does not say it is about the seccomp profile: %q", msg)
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		if !strings.Contains(msg, "compiled filter has") {
			t.Fatalf("error names no linux.seccomp field: %q", msg)
		}
		return
	}
	if !strings.HasPrefix(fe.Field, "linux.seccomp.") {
		t.Fatalf("error field %q is not a linux.seccomp path: %q", fe.Field, msg)
	}
	if errors.Is(err, ErrUnknown) && !strings.Contains(msg, `"`) {
		t.Fatalf("unknown value not quoted: %q", msg)
	}
}

// kernelAction is the SECCOMP_RET_* value of a profile action.
func kernelAction(a specs.LinuxSeccompAction, errnoRet *uint) (uint32, bool) {
	ret := uint32(unix.EPERM)
	if errnoRet != nil {
		ret = uint32(*errnoRet)
	}
	switch a {
	case specs.ActAllow:
		return unix.SECCOMP_RET_ALLOW, true
	case specs.ActErrno:
		return unix.SECCOMP_RET_ERRNO | ret, true
	case specs.ActTrace:
		return unix.SECCOMP_RET_TRACE | ret, true
	case specs.ActKill, specs.ActKillThread:
		return unix.SECCOMP_RET_KILL_THREAD, true
	case specs.ActKillProcess:
		return unix.SECCOMP_RET_KILL_PROCESS, true
	case specs.ActTrap:
		return unix.SECCOMP_RET_TRAP, true
	case specs.ActLog:
		return unix.SECCOMP_RET_LOG, true
	case specs.ActNotify:
		return unix.SECCOMP_RET_USER_NOTIF, true
	}
	return 0, false
}

// checkActions runs the program for every syscall that exactly one rule
// names, without conditions, with an action other than the default.
func checkActions(t *testing.T, s *specs.LinuxSeccomp, p *Program, audit uint32) {
	t.Helper()
	def, _ := kernelAction(s.DefaultAction, s.DefaultErrnoRet)
	count := map[string]int{}
	for _, sc := range s.Syscalls {
		for _, n := range sc.Names {
			count[n]++
		}
	}
	for i, sc := range s.Syscalls {
		want, ok := kernelAction(sc.Action, sc.ErrnoRet)
		if !ok || len(sc.Args) > 0 || want == def {
			continue
		}
		for _, name := range sc.Names {
			if count[name] != 1 {
				continue
			}
			nr, err := libseccomp.GetSyscallFromName(name)
			if err != nil || nr < 0 {
				continue // skipped like runc, or a pseudo-syscall
			}
			got, err := runBPF(p.Instructions, seccompData{nr: int32(nr), arch: audit})
			if err != nil {
				t.Fatalf("syscalls[%d] %s: program does not run: %v", i, name, err)
			}
			if got != want {
				t.Fatalf("syscalls[%d] %s (nr %d): program returns %#x, the rule says %s = %#x",
					i, name, nr, got, sc.Action, want)
			}
		}
	}
}
