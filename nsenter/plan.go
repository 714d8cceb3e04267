package nsenter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// ExecPlan is everything the C applier (apply.c) needs to turn the nsenter
// stage, once it has joined a container's namespaces, into a process of
// that container without starting a Go runtime: `hako exec`. The host
// composes and validates it; the applier applies it in the Go init's
// order (stdio and terminal, personality and memory policy, HOME, seccomp
// without no_new_privs, cwd, host-set limits, stdio owner, bounding set,
// groups and ids, capabilities, non-dumpable, umask, PATH lookup,
// no_new_privs and seccomp, execve) and reports a failed step with its
// errno.
//
// It travels after the bootstrap directives as "plan <length>" followed by
// that many bytes: records of tag (u32), length (u32) and payload, in the
// host's byte order (the applier runs on the same machine); strings carry
// a trailing NUL.
type ExecPlan struct {
	Args []string
	// Env is the process environment, validated; without HOME when
	// NeedHome, and the applier then adds the one of the user's
	// /etc/passwd entry in the container ("/" without one), as runc does.
	Env      []string
	NeedHome bool
	Cwd      string
	UID, GID uint32
	// Groups are the supplementary groups, exactly (runc adds none).
	Groups []uint32
	// Caps are the bounding, effective, permitted, inheritable and
	// ambient sets as bit masks (bit n: capability number n); nil keeps
	// what the runtime has, as a process without process.capabilities.
	Caps            *[5]uint64
	NoNewPrivileges bool
	Umask           *uint32
	// Seccomp is the compiled filter: SECCOMP_FILTER_FLAG_* flags and the
	// sock_filter records in the host's byte order (8 bytes each).
	Seccomp *SeccompFilter
	// Personality is the persona for personality(2) (linux.personality).
	Personality *uint32
	// MemPolicy is set_mempolicy(2)'s mode (flags included) and node
	// mask (linux.memoryPolicy).
	MemPolicy *MemPolicy
	// Console, when set, makes a pty in the container and sends its
	// master over the console socket at ConsoleFD.
	Console *Console
	// PreserveFDs are the caller's fds 3..3+n-1 the process keeps.
	PreserveFDs uint32
	// Create, when set, makes the process a new container's first one
	// (see Create); without it the plan is an exec's.
	Create *Create
}

// Create is what the first process of a new container does beyond an
// exec'd one. Right after the pid, before anything else of the plan, it
// makes ProcFS procfs contexts (fsopen "proc": a procfs takes the pid
// namespace of the process that opens it, which the host's threads are
// not in) and sends them with a "rootfs" message; the host makes the
// rootfs from a thread in the container's namespaces and answers ok. The
// applier then joins a new session keyring named Keyring ("" for none),
// goes on as for an exec, and after "ready" waits on the exec fifo at
// FifoFD for `start` before its execve.
type Create struct {
	FifoFD  uint32
	ProcFS  uint32
	Keyring string
}

// SeccompFilter is a compiled seccomp program (see seccomp.Program).
type SeccompFilter struct {
	Flags  uint32
	Notify bool // NEW_LISTENER: the applier sends the listener's fd number
	Filter []byte
}

// MemPolicy is linux.memoryPolicy as set_mempolicy(2) takes it.
type MemPolicy struct {
	Mode uint32
	Mask []uint64
}

// Console is the terminal of an exec -t: the console socket's fd in the
// stage, the initial size (process.consoleSize) and whether ONLCR is
// cleared because hako relays the pty itself.
type Console struct {
	SocketFD   uint32
	Rows, Cols uint16
	HasSize    bool
	Relay      bool
}

// Limits of apply.c: BPF_MAXINSNS, and HAKO_MAX_FDS (nsenter.h) for the
// procfs contexts of one message.
const (
	maxFilterInsns = 4096
	maxFDs         = 64
)

// Record tags; keep in step with apply.c.
const (
	tagArg uint32 = iota + 1
	tagEnv
	tagCwd
	tagUser
	tagGroup
	tagCaps
	tagNoNewPrivs
	tagUmask
	tagHome
	tagSeccomp
	tagPersonality
	tagMemPolicy
	tagConsole
	tagPreserveFDs
	tagCreate
)

// MarshalBinary encodes the plan. A NUL in a string (the kernel could not
// pass it either) or an empty argument list is an error.
func (p *ExecPlan) MarshalBinary() ([]byte, error) {
	if len(p.Args) == 0 {
		return nil, errors.New("exec plan: no args")
	}
	var b []byte
	rec := func(tag uint32, payload []byte) {
		b = binary.NativeEndian.AppendUint32(b, tag)
		b = binary.NativeEndian.AppendUint32(b, uint32(len(payload)))
		b = append(b, payload...)
	}
	str := func(tag uint32, field, s string) error {
		if strings.IndexByte(s, 0) >= 0 {
			return fmt.Errorf("%s: contains a NUL byte", field)
		}
		rec(tag, append([]byte(s), 0))
		return nil
	}
	u32 := func(vs ...uint32) []byte {
		var out []byte
		for _, v := range vs {
			out = binary.NativeEndian.AppendUint32(out, v)
		}
		return out
	}
	for _, a := range p.Args {
		if err := str(tagArg, "process.args", a); err != nil {
			return nil, err
		}
	}
	for _, e := range p.Env {
		if err := str(tagEnv, "process.env", e); err != nil {
			return nil, err
		}
	}
	if p.NeedHome {
		rec(tagHome, nil)
	}
	if err := str(tagCwd, "process.cwd", p.Cwd); err != nil {
		return nil, err
	}
	rec(tagUser, u32(p.UID, p.GID))
	for _, g := range p.Groups {
		rec(tagGroup, u32(g))
	}
	if p.Caps != nil {
		var c []byte
		for _, s := range p.Caps {
			c = binary.NativeEndian.AppendUint64(c, s)
		}
		rec(tagCaps, c)
	}
	if p.NoNewPrivileges {
		rec(tagNoNewPrivs, nil)
	}
	if p.Umask != nil {
		rec(tagUmask, u32(*p.Umask))
	}
	if s := p.Seccomp; s != nil {
		if len(s.Filter) == 0 || len(s.Filter)%8 != 0 {
			return nil, errors.New("exec plan: seccomp filter is not a whole number of instructions")
		}
		// apply.c refuses more (sock_fprog's length is 16 bits): say so here
		if n := len(s.Filter) / 8; n > maxFilterInsns {
			return nil, fmt.Errorf("exec plan: seccomp filter has %d instructions, the kernel allows %d", n, maxFilterInsns)
		}
		notify := uint32(0)
		if s.Notify {
			notify = 1
		}
		rec(tagSeccomp, append(u32(s.Flags, notify), s.Filter...))
	}
	if p.Personality != nil {
		rec(tagPersonality, u32(*p.Personality))
	}
	if m := p.MemPolicy; m != nil {
		v := u32(m.Mode)
		for _, w := range m.Mask {
			v = binary.NativeEndian.AppendUint64(v, w)
		}
		rec(tagMemPolicy, v)
	}
	if c := p.Console; c != nil {
		v := u32(c.SocketFD)
		v = binary.NativeEndian.AppendUint16(v, c.Rows)
		v = binary.NativeEndian.AppendUint16(v, c.Cols)
		v = append(v, boolByte(c.HasSize), boolByte(c.Relay))
		rec(tagConsole, v)
	}
	if p.PreserveFDs > 0 {
		rec(tagPreserveFDs, u32(p.PreserveFDs))
	}
	if c := p.Create; c != nil {
		// fifo fd u32, procfs count u32, keyring name with its NUL
		if strings.IndexByte(c.Keyring, 0) >= 0 {
			return nil, errors.New("keyring name: contains a NUL byte")
		}
		// one message carries them (HAKO_MAX_FDS in nsenter.h)
		if c.ProcFS > maxFDs {
			return nil, fmt.Errorf("exec plan: %d new procfs mounts, at most %d", c.ProcFS, maxFDs)
		}
		rec(tagCreate, append(u32(c.FifoFD, c.ProcFS), append([]byte(c.Keyring), 0)...))
	}
	return b, nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
