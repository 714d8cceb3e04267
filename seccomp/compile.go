package seccomp

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// rule is one validated linux.seccomp.syscalls entry, ready for libseccomp.
type rule struct {
	field string // linux.seccomp.syscalls[i], for errors
	names []string
	act   libseccomp.ScmpAction
	// condSets are added as one libseccomp rule each; a nil element is
	// an unconditional rule. See conditions for the OR/AND semantics.
	condSets [][]libseccomp.ScmpCondition
}

// Compile translates a linux.seccomp profile into a BPF program using
// libseccomp. It runs in the host process; the result is plain data for
// Load. A nil profile compiles to a nil program (no filter).
//
// The translation follows runc so that profiles behave the same:
//   - a rule whose action equals the default action is dropped (libseccomp
//     refuses it, and it changes nothing);
//   - syscall names libseccomp does not know are skipped silently, so one
//     profile serves several kernels and libseccomp versions;
//   - ERRNO and TRACE without errnoRet return EPERM;
//   - conditions on distinct arguments are ANDed in one rule; when two or
//     more conditions test the same argument every condition becomes its own
//     rule, so they are ORed (libseccomp cannot AND two tests of one
//     argument, and runc falls back to this);
//   - SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD.
//
// Unknown actions, architectures, operators and flags are errors of type
// *FieldError naming the profile field; they wrap ErrUnknown. Values that
// are known but unusable wrap ErrInvalid.
func Compile(s *specs.LinuxSeccomp) (*Program, error) {
	if s == nil {
		return nil, nil
	}
	p, err := compile(s)
	if err != nil {
		return nil, fmt.Errorf("compile seccomp profile: %w", err)
	}
	return p, nil
}

func compile(s *specs.LinuxSeccomp) (*Program, error) {
	if s.DefaultAction == specs.ActNotify {
		return nil, fieldErr("linux.seccomp.defaultAction", invalidErr("%s cannot be the default action", specs.ActNotify))
	}
	defAct, err := action("linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet", s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	arches, err := architectures(s.Architectures)
	if err != nil {
		return nil, err
	}
	flags := uint(unix.SECCOMP_FILTER_FLAG_TSYNC)
	for i, f := range s.Flags {
		v, ok := filterFlags[f]
		if !ok {
			return nil, fieldErr(fmt.Sprintf("linux.seccomp.flags[%d]", i), unknownErr("flag", string(f)))
		}
		flags |= v
	}
	rules, notify, err := syscallRules(s.Syscalls)
	if err != nil {
		return nil, err
	}
	if notify != "" && s.ListenerPath == "" {
		return nil, fieldErr("linux.seccomp.listenerPath", invalidErr("required because %s uses %s", notify, specs.ActNotify))
	}

	filter, err := libseccomp.NewFilter(defAct)
	if err != nil {
		return nil, fmt.Errorf("create libseccomp filter: %w", err)
	}
	defer filter.Release()
	for i, a := range s.Architectures { // the native one is already present
		if err := filter.AddArch(archs[a].scmp); err != nil {
			return nil, fieldErr(fmt.Sprintf("linux.seccomp.architectures[%d]", i), fmt.Errorf("add architecture %q: %w", a, err))
		}
	}
	for _, r := range rules {
		if r.act == defAct {
			continue
		}
		for _, name := range r.names {
			nr, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				continue // unknown to this libseccomp: skipped like runc
			}
			for _, conds := range r.condSets {
				if err := filter.AddRuleConditional(nr, r.act, conds); err != nil {
					return nil, fieldErr(r.field, fmt.Errorf("add rule for %q: %w", name, err))
				}
			}
		}
	}
	main, err := export(filter)
	if err != nil {
		return nil, err
	}

	stub := enosysStub(s, arches, lastSyscalls(s.Syscalls, arches))
	prog := &Program{
		Instructions:     append(stub, main...),
		Flags:            flags,
		ListenerPath:     s.ListenerPath,
		ListenerMetadata: s.ListenerMetadata,
	}
	if notify != "" {
		prog.Notify = true
		// TSYNC and NEW_LISTENER together need TSYNC_ESRCH (Linux 5.7):
		// without it a TSYNC failure would be reported as a thread id,
		// which is indistinguishable from the listener fd.
		prog.Flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	} else {
		// WAIT_KILLABLE_RECV only qualifies a listener; the kernel
		// rejects it alone. libseccomp drops it the same way.
		prog.Flags &^= unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
	}
	if n := len(prog.Instructions); n > maxInstructions {
		return nil, fmt.Errorf("compiled filter has %d instructions, the kernel allows %d", n, maxInstructions)
	}
	return prog, nil
}

// architectures returns the filter's architectures, native first, without
// duplicates.
func architectures(list []specs.Arch) ([]specs.Arch, error) {
	native, err := nativeArch()
	if err != nil {
		return nil, fmt.Errorf("get native architecture: %w", err)
	}
	out := []specs.Arch{native}
	for i, a := range list {
		if _, ok := archs[a]; !ok {
			return nil, fieldErr(fmt.Sprintf("linux.seccomp.architectures[%d]", i), unknownErr("architecture", string(a)))
		}
		dup := false
		for _, b := range out {
			dup = dup || a == b
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out, nil
}

// syscallRules validates linux.seccomp.syscalls. notify is the field of
// the first NOTIFY rule, or "".
func syscallRules(calls []specs.LinuxSyscall) (rules []rule, notify string, err error) {
	for i, sc := range calls {
		field := fmt.Sprintf("linux.seccomp.syscalls[%d]", i)
		if len(sc.Names) == 0 {
			return nil, "", fieldErr(field+".names", invalidErr("no syscall names"))
		}
		act, err := action(field+".action", field+".errnoRet", sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, "", err
		}
		if sc.Action == specs.ActNotify {
			for _, n := range sc.Names {
				// The runtime itself writes after loading the
				// filter; notifying write would deadlock it.
				if n == "write" {
					return nil, "", fieldErr(field+".names", invalidErr("%s cannot be used for %q", specs.ActNotify, n))
				}
			}
			if notify == "" {
				notify = field
			}
		}
		sets, err := conditions(field, sc.Args)
		if err != nil {
			return nil, "", err
		}
		rules = append(rules, rule{field: field, names: sc.Names, act: act, condSets: sets})
	}
	return rules, notify, nil
}

// conditions turns args into condition sets, one libseccomp rule each.
// Without args there is one unconditional set. If no argument is tested
// twice, all conditions form one set (AND). If some argument is tested
// more than once, each condition is its own set (OR): that is runc's
// behaviour, kept so that existing profiles mean the same under hako.
func conditions(field string, args []specs.LinuxSeccompArg) ([][]libseccomp.ScmpCondition, error) {
	if len(args) == 0 {
		return [][]libseccomp.ScmpCondition{nil}, nil
	}
	var conds []libseccomp.ScmpCondition
	var count [maxArgs]int
	repeated := false
	for j, a := range args {
		af := fmt.Sprintf("%s.args[%d]", field, j)
		if a.Index >= maxArgs {
			return nil, fieldErr(af+".index", invalidErr("%d out of range 0-%d", a.Index, maxArgs-1))
		}
		op, ok := operators[a.Op]
		if !ok {
			return nil, fieldErr(af+".op", unknownErr("operator", string(a.Op)))
		}
		values := []uint64{a.Value}
		if op == libseccomp.CompareMaskedEqual {
			values = append(values, a.ValueTwo) // value is the mask, valueTwo the datum
		}
		c, err := libseccomp.MakeCondition(a.Index, op, values...)
		if err != nil {
			return nil, fieldErr(af, fmt.Errorf("make condition: %w", err))
		}
		count[a.Index]++
		repeated = repeated || count[a.Index] > 1
		conds = append(conds, c)
	}
	if !repeated {
		return [][]libseccomp.ScmpCondition{conds}, nil
	}
	sets := make([][]libseccomp.ScmpCondition, len(conds))
	for i, c := range conds {
		sets[i] = []libseccomp.ScmpCondition{c}
	}
	return sets, nil
}

// export has libseccomp write the kernel-format program into a memfd
// (libseccomp 2.5 has no in-memory export) and decodes it.
func export(filter *libseccomp.ScmpFilter) ([]Instruction, error) {
	fd, err := unix.MemfdCreate("hako-seccomp", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("export bpf: create memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "hako-seccomp")
	defer f.Close()
	if err := filter.ExportBPF(f); err != nil {
		return nil, fmt.Errorf("export bpf: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("export bpf: %w", err)
	}
	raw, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("export bpf: read: %w", err)
	}
	return decode(raw)
}

// decode parses struct sock_filter records in native byte order.
func decode(raw []byte) ([]Instruction, error) {
	const size = 8
	if len(raw) == 0 || len(raw)%size != 0 {
		return nil, fmt.Errorf("decode bpf: %d bytes is not a whole number of instructions", len(raw))
	}
	out := make([]Instruction, len(raw)/size)
	for i := range out {
		b := raw[i*size:]
		out[i] = Instruction{
			Code: binary.NativeEndian.Uint16(b[0:]),
			Jt:   b[2],
			Jf:   b[3],
			K:    binary.NativeEndian.Uint32(b[4:]),
		}
	}
	return out, nil
}
