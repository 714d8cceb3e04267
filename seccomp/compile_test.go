package seccomp

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const (
	retAllow       = unix.SECCOMP_RET_ALLOW
	retLog         = unix.SECCOMP_RET_LOG
	retTrap        = unix.SECCOMP_RET_TRAP
	retKillThread  = unix.SECCOMP_RET_KILL_THREAD
	retKillProcess = unix.SECCOMP_RET_KILL_PROCESS
	retNotify      = unix.SECCOMP_RET_USER_NOTIF
)

func retErrno(e unix.Errno) uint32 { return unix.SECCOMP_RET_ERRNO | uint32(e) }
func retTrace(e unix.Errno) uint32 { return unix.SECCOMP_RET_TRACE | uint32(e) }

func uptr(v uint) *uint { return &v }

func mustCompile(t testing.TB, s *specs.LinuxSeccomp) *Program {
	t.Helper()
	p, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

// call runs the program for a native x86_64 syscall.
func call(t testing.TB, p *Program, nr int, args ...uint64) uint32 {
	t.Helper()
	return callArch(t, p, unix.AUDIT_ARCH_X86_64, nr, args...)
}

func callArch(t testing.TB, p *Program, arch uint32, nr int, args ...uint64) uint32 {
	t.Helper()
	d := seccompData{nr: int32(nr), arch: arch}
	copy(d.args[:], args)
	r, err := runBPF(p.Instructions, d)
	if err != nil {
		t.Fatalf("run bpf: %v", err)
	}
	return r
}

func TestCompileActions(t *testing.T) {
	for _, tc := range []struct {
		act      specs.LinuxSeccompAction
		errnoRet *uint
		want     uint32
	}{
		{specs.ActKill, nil, retKillThread},
		{specs.ActKillThread, nil, retKillThread},
		{specs.ActKillProcess, nil, retKillProcess},
		{specs.ActTrap, nil, retTrap},
		{specs.ActErrno, nil, retErrno(unix.EPERM)},
		{specs.ActErrno, uptr(42), retErrno(42)},
		{specs.ActErrno, uptr(0), retErrno(0)},
		{specs.ActTrace, nil, retTrace(unix.EPERM)},
		{specs.ActTrace, uptr(7), retTrace(7)},
		{specs.ActLog, nil, retLog},
		{specs.ActNotify, nil, retNotify},
	} {
		name := string(tc.act)
		if tc.errnoRet != nil {
			name = fmt.Sprintf("%s/%d", name, *tc.errnoRet)
		}
		t.Run("rule/"+name, func(t *testing.T) {
			p := mustCompile(t, &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				ListenerPath:  "/run/agent.sock",
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: tc.act, ErrnoRet: tc.errnoRet}},
			})
			if got := call(t, p, unix.SYS_MKDIR); got != tc.want {
				t.Errorf("mkdir: got %#x, want %#x", got, tc.want)
			}
			if got := call(t, p, unix.SYS_GETPID); got != retAllow {
				t.Errorf("getpid: got %#x, want allow", got)
			}
			if p.Notify != (tc.act == specs.ActNotify) {
				t.Errorf("Notify = %v", p.Notify)
			}
		})
		if tc.act == specs.ActNotify {
			continue
		}
		t.Run("default/"+name, func(t *testing.T) {
			s := &specs.LinuxSeccomp{
				DefaultAction:   tc.act,
				DefaultErrnoRet: tc.errnoRet,
				// getrandom (318) is listed so that mkdir (83) is below the
				// ENOSYS stub's limit and gets the default action.
				Syscalls: []specs.LinuxSyscall{{Names: []string{"getpid", "getrandom"}, Action: specs.ActAllow}},
			}
			if tc.act == specs.ActAllow {
				s.Syscalls[0].Action = specs.ActLog
			}
			p := mustCompile(t, s)
			if got := call(t, p, unix.SYS_MKDIR); got != tc.want {
				t.Errorf("mkdir: got %#x, want %#x", got, tc.want)
			}
		})
	}
	p := mustCompile(t, &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.ActAllow}},
	})
	if got := call(t, p, unix.SYS_GETPID); got != retAllow {
		t.Errorf("default errno profile, getpid: got %#x, want allow", got)
	}
}

func TestCompileOperators(t *testing.T) {
	const big = 0x1_0000_0005 // exercises the high 32 bits
	for _, tc := range []struct {
		op         specs.LinuxSeccompOperator
		value, two uint64
		match      []uint64
		noMatch    []uint64
	}{
		{specs.OpEqualTo, 5, 0, []uint64{5}, []uint64{4, 6, big}},
		{specs.OpEqualTo, big, 0, []uint64{big}, []uint64{5, big + 1}},
		{specs.OpNotEqual, 5, 0, []uint64{0, 4, 6, big}, []uint64{5}},
		{specs.OpLessThan, 5, 0, []uint64{0, 4}, []uint64{5, 6, big}},
		{specs.OpLessEqual, 5, 0, []uint64{0, 5}, []uint64{6, big}},
		{specs.OpGreaterThan, 5, 0, []uint64{6, big}, []uint64{0, 5}},
		{specs.OpGreaterEqual, 5, 0, []uint64{5, 6, big}, []uint64{0, 4}},
		{specs.OpGreaterThan, big, 0, []uint64{big + 1, 1 << 63}, []uint64{big, 5}},
		// value is the mask, valueTwo the datum: (arg & 0xf0) == 0x20
		{specs.OpMaskedEqual, 0xf0, 0x20, []uint64{0x20, 0x2f, 0x120}, []uint64{0x30, 0x10, 0}},
		// Docker's clone rule shape: no CLONE_NEW* bit set
		{specs.OpMaskedEqual, 0x7E020000, 0, []uint64{0x11, unix.CLONE_VM}, []uint64{unix.CLONE_NEWNS, unix.CLONE_NEWUSER | 0x11}},
	} {
		t.Run(string(tc.op), func(t *testing.T) {
			for _, idx := range []uint{0, 3, 5} {
				p := mustCompile(t, &specs.LinuxSeccomp{
					DefaultAction: specs.ActAllow,
					Syscalls: []specs.LinuxSyscall{{
						Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: uptr(13),
						Args: []specs.LinuxSeccompArg{{Index: idx, Op: tc.op, Value: tc.value, ValueTwo: tc.two}},
					}},
				})
				for _, v := range tc.match {
					var args [6]uint64
					args[idx] = v
					if got := call(t, p, unix.SYS_PERSONALITY, args[:]...); got != retErrno(13) {
						t.Errorf("arg%d=%#x: got %#x, want match", idx, v, got)
					}
				}
				for _, v := range tc.noMatch {
					var args [6]uint64
					args[idx] = v
					if got := call(t, p, unix.SYS_PERSONALITY, args[:]...); got != retAllow {
						t.Errorf("arg%d=%#x: got %#x, want no match", idx, v, got)
					}
				}
			}
		})
	}
}

func TestCompileConditionCombinations(t *testing.T) {
	rule := func(args ...specs.LinuxSeccompArg) *Program {
		return mustCompile(t, &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"write"}, Action: specs.ActErrno, ErrnoRet: uptr(42), Args: args}},
		})
	}
	hit, miss := retErrno(42), uint32(retAllow)
	for _, tc := range []struct {
		name string
		p    *Program
		args [][3]uint64 // write(fd, buf, count)
		want []uint32
	}{
		{"different args are ANDed",
			rule(specs.LinuxSeccompArg{Index: 0, Op: specs.OpEqualTo, Value: 1000},
				specs.LinuxSeccompArg{Index: 2, Op: specs.OpGreaterThan, Value: 10}),
			[][3]uint64{{1000, 0, 11}, {1000, 0, 10}, {1001, 0, 11}, {1, 0, 0}},
			[]uint32{hit, miss, miss, miss}},
		{"same arg twice is ORed (runc semantics)",
			rule(specs.LinuxSeccompArg{Index: 0, Op: specs.OpEqualTo, Value: 1000},
				specs.LinuxSeccompArg{Index: 0, Op: specs.OpEqualTo, Value: 1002}),
			[][3]uint64{{1000, 0, 0}, {1002, 0, 0}, {1001, 0, 0}},
			[]uint32{hit, hit, miss}},
		{"same arg twice plus another arg: every condition ORed",
			rule(specs.LinuxSeccompArg{Index: 0, Op: specs.OpLessThan, Value: 3},
				specs.LinuxSeccompArg{Index: 0, Op: specs.OpGreaterThan, Value: 100},
				specs.LinuxSeccompArg{Index: 2, Op: specs.OpEqualTo, Value: 7}),
			[][3]uint64{{1, 0, 0}, {101, 0, 0}, {50, 0, 7}, {50, 0, 8}},
			[]uint32{hit, hit, hit, miss}},
		{"three args ANDed with masked equal",
			rule(specs.LinuxSeccompArg{Index: 0, Op: specs.OpMaskedEqual, Value: 0xff00, ValueTwo: 0x1100},
				specs.LinuxSeccompArg{Index: 1, Op: specs.OpNotEqual, Value: 0},
				specs.LinuxSeccompArg{Index: 2, Op: specs.OpLessEqual, Value: 4}),
			[][3]uint64{{0x1105, 1, 4}, {0x1205, 1, 4}, {0x1105, 0, 4}, {0x1105, 1, 5}},
			[]uint32{hit, miss, miss, miss}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, a := range tc.args {
				if got := call(t, tc.p, unix.SYS_WRITE, a[0], a[1], a[2]); got != tc.want[i] {
					t.Errorf("write%v: got %#x, want %#x", a, got, tc.want[i])
				}
			}
		})
	}
}

func TestCompileSemantics(t *testing.T) {
	t.Run("unknown syscall names are skipped", func(t *testing.T) {
		p := mustCompile(t, &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{
				Names: []string{"no_such_syscall", "mkdir", "", "fancy_new_call_2031"}, Action: specs.ActErrno,
			}},
		})
		if got := call(t, p, unix.SYS_MKDIR); got != retErrno(unix.EPERM) {
			t.Errorf("mkdir: got %#x", got)
		}
	})
	t.Run("rule with the default action is dropped", func(t *testing.T) {
		p := mustCompile(t, &specs.LinuxSeccomp{
			DefaultAction: specs.ActErrno,
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"mkdir"}, Action: specs.ActErrno},
				{Names: []string{"getpid"}, Action: specs.ActAllow},
			},
		})
		if got := call(t, p, unix.SYS_MKDIR); got != retErrno(unix.EPERM) {
			t.Errorf("mkdir: got %#x", got)
		}
	})
	t.Run("errno differing from the default errno is kept", func(t *testing.T) {
		p := mustCompile(t, &specs.LinuxSeccomp{
			DefaultAction: specs.ActErrno,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uptr(2)}},
		})
		if got := call(t, p, unix.SYS_MKDIR); got != retErrno(unix.ENOENT) {
			t.Errorf("mkdir: got %#x", got)
		}
	})
	t.Run("nil profile", func(t *testing.T) {
		p, err := Compile(nil)
		if p != nil || err != nil {
			t.Errorf("Compile(nil) = %v, %v", p, err)
		}
	})
	t.Run("architectures", func(t *testing.T) {
		p := mustCompile(t, &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}},
		})
		const i386Mkdir, x32Mkdir = 39, x32SyscallBit + unix.SYS_MKDIR
		if got := callArch(t, p, unix.AUDIT_ARCH_I386, i386Mkdir); got != retErrno(unix.EPERM) {
			t.Errorf("i386 mkdir: got %#x", got)
		}
		if got := callArch(t, p, unix.AUDIT_ARCH_I386, unix.SYS_MKDIR); got != retAllow {
			t.Errorf("i386 nr 83 (symlink): got %#x", got)
		}
		if got := callArch(t, p, unix.AUDIT_ARCH_X86_64, x32Mkdir); got != retErrno(unix.EPERM) {
			t.Errorf("x32 mkdir: got %#x", got)
		}
		if got := callArch(t, p, unix.AUDIT_ARCH_AARCH64, 34); got != retKillThread {
			t.Errorf("arch not in filter: got %#x, want kill", got)
		}
		q := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow})
		if got := callArch(t, q, unix.AUDIT_ARCH_I386, i386Mkdir); got != retKillThread {
			t.Errorf("native only, i386: got %#x, want kill", got)
		}
	})
}

func TestCompileFlags(t *testing.T) {
	const base = unix.SECCOMP_FILTER_FLAG_TSYNC
	notifyRule := []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}
	for _, tc := range []struct {
		name     string
		flags    []specs.LinuxSeccompFlag
		syscalls []specs.LinuxSyscall
		want     uint
	}{
		{"none", nil, nil, base},
		{"tsync", []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC"}, nil, base},
		{"log", []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}, nil, base | unix.SECCOMP_FILTER_FLAG_LOG},
		{"spec allow", []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagSpecAllow}, nil, base | unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW},
		{"wait killable without listener is dropped", []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}, nil, base},
		{"notify", nil, notifyRule, base | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH},
		{"notify wait killable", []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv, specs.LinuxSeccompFlagLog}, notifyRule,
			base | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
				unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | unix.SECCOMP_FILTER_FLAG_LOG},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustCompile(t, &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow, Flags: tc.flags, Syscalls: tc.syscalls,
				ListenerPath: "/run/l.sock", ListenerMetadata: "meta",
			})
			if p.Flags != tc.want {
				t.Errorf("flags %#x, want %#x", p.Flags, tc.want)
			}
			if p.ListenerPath != "/run/l.sock" || p.ListenerMetadata != "meta" {
				t.Errorf("listener %q %q", p.ListenerPath, p.ListenerMetadata)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	allow := specs.LinuxSyscall{Names: []string{"getpid"}, Action: specs.ActAllow}
	with := func(sc specs.LinuxSyscall) []specs.LinuxSyscall {
		return []specs.LinuxSyscall{allow, allow, allow, sc}
	}
	for _, tc := range []struct {
		name string
		s    specs.LinuxSeccomp
		want string
		is   error
	}{
		{"unknown action", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: with(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: "SCMP_ACT_FOO"})},
			`linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`, ErrUnknown},
		{"unknown default action", specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_NOPE"},
			`linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"`, ErrUnknown},
		{"empty default action", specs.LinuxSeccomp{},
			`linux.seccomp.defaultAction: unknown action ""`, ErrUnknown},
		{"unknown architecture", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86, "SCMP_ARCH_Z80"}},
			`linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_Z80"`, ErrUnknown},
		{"unknown operator", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: with(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo}, {Index: 1, Op: "SCMP_CMP_ABOUT"}}})},
			`linux.seccomp.syscalls[3].args[1].op: unknown operator "SCMP_CMP_ABOUT"`, ErrUnknown},
		{"unknown flag", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, "SECCOMP_FILTER_FLAG_FAST"}},
			`linux.seccomp.flags[1]: unknown flag "SECCOMP_FILTER_FLAG_FAST"`, ErrUnknown},
		{"arg index out of range", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: with(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}})},
			`linux.seccomp.syscalls[3].args[0].index: 6 out of range 0-5`, ErrInvalid},
		{"errnoRet on allow", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: with(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActAllow, ErrnoRet: uptr(1)})},
			`linux.seccomp.syscalls[3].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not "SCMP_ACT_ALLOW"`, ErrInvalid},
		{"defaultErrnoRet on kill", specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess, DefaultErrnoRet: uptr(1)},
			`linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not "SCMP_ACT_KILL_PROCESS"`, ErrInvalid},
		{"errnoRet too large", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uptr(70000)},
			`linux.seccomp.defaultErrnoRet: 70000 does not fit in 16 bits`, ErrInvalid},
		{"notify as default", specs.LinuxSeccomp{DefaultAction: specs.ActNotify, ListenerPath: "/x"},
			`linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action`, ErrInvalid},
		{"notify on write", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/x", Syscalls: with(specs.LinuxSyscall{Names: []string{"mkdir", "write"}, Action: specs.ActNotify})},
			`linux.seccomp.syscalls[3].names: SCMP_ACT_NOTIFY cannot be used for "write"`, ErrInvalid},
		{"notify without listener", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: with(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActNotify})},
			`linux.seccomp.listenerPath: required because linux.seccomp.syscalls[3] uses SCMP_ACT_NOTIFY`, ErrInvalid},
		{"no names", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: with(specs.LinuxSyscall{Action: specs.ActErrno})},
			`linux.seccomp.syscalls[3].names: no syscall names`, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile(&tc.s)
			if err == nil {
				t.Fatalf("Compile succeeded: %d instructions", len(p.Instructions))
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %q is not a *FieldError", err)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %q does not wrap %v", err, tc.is)
			}
			if !strings.HasSuffix(err.Error(), tc.want) {
				t.Errorf("error %q\nwant suffix %q", err, tc.want)
			}
			if s := err.Error(); s != strings.ToLower(s[:1])+s[1:] {
				t.Errorf("error %q does not start in lower case", s)
			}
		})
	}
}

func TestProgramJSONRoundTrip(t *testing.T) {
	p := mustCompile(t, &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno, ListenerPath: "/run/a.sock", ListenerMetadata: "m",
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"getpid", "read"}, Action: specs.ActAllow},
			{Names: []string{"mkdir"}, Action: specs.ActNotify},
		},
	})
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q Program
	if err := json.Unmarshal(data, &q); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, &q) {
		t.Errorf("round trip changed the program:\n%+v\n%+v", p, &q)
	}
	for _, key := range []string{`"instructions":"`, `"flags":`, `"notify":true`, `"listenerPath":"/run/a.sock"`, `"listenerMetadata":"m"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestInstructionsJSON(t *testing.T) {
	in := Instructions{{Code: 0x20, K: 4}, {Code: 0x15, Jt: 1, Jf: 2, K: 0xc000003e}, {Code: 0x06, K: 0x7fff0000}}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	// 3 little-endian records: 20 00 00 00 04 00 00 00 | 15 00 01 02 3e 00 00 c0 | 06 00 00 00 00 00 ff 7f
	if want := `"IAAAAAQAAAAVAAECPgAAwAYAAAAAAP9/"`; string(data) != want {
		t.Errorf("got %s, want %s", data, want)
	}
	var out Instructions
	if err := json.Unmarshal(data, &out); err != nil || !reflect.DeepEqual(in, out) {
		t.Errorf("round trip: %v %v", out, err)
	}
	for _, bad := range []string{`"AAAA"`, `[1,2]`, `"!!"`} {
		if err := json.Unmarshal([]byte(bad), &out); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
