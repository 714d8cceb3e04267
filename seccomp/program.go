package seccomp

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Instruction is one classic BPF instruction, laid out like the kernel's
// struct sock_filter. It has its own JSON names so a Program stays
// readable when it is logged or cached.
type Instruction struct {
	Code uint16 `json:"code"`
	Jt   uint8  `json:"jt"`
	Jf   uint8  `json:"jf"`
	K    uint32 `json:"k"`
}

// Program is a compiled seccomp filter ready for Load. It holds no
// libseccomp state: it is plain data that is built by Compile in the host
// process and sent as JSON to the container init.
type Program struct {
	// Instructions is the complete filter: hako's ENOSYS stub (see
	// enosys.go) followed by libseccomp's program.
	Instructions []Instruction `json:"instructions"`
	// Flags are the SECCOMP_FILTER_FLAG_* bits passed to seccomp(2).
	// TSYNC is always set, because the Go init is multi-threaded and a
	// thread that escapes the filter must not exist; with a listener it
	// is combined with TSYNC_ESRCH as the kernel requires.
	Flags uint `json:"flags"`
	// Notify is true when the filter has SCMP_ACT_NOTIFY rules; Flags
	// then contains NEW_LISTENER and Load returns a listener fd.
	Notify bool `json:"notify,omitempty"`
	// ListenerPath and ListenerMetadata are copied from the profile for
	// the runtime, which sends the listener fd there (SendListener).
	ListenerPath     string `json:"listenerPath,omitempty"`
	ListenerMetadata string `json:"listenerMetadata,omitempty"`
}

// maxInstructions is BPF_MAXINSNS, the kernel's limit for one filter.
const maxInstructions = 4096

// validate checks what the kernel would otherwise reject with a bare
// EINVAL, so that Load can say what is wrong.
func (p *Program) validate() error {
	n := len(p.Instructions)
	if n == 0 {
		return fmt.Errorf("empty program")
	}
	if n > maxInstructions {
		return fmt.Errorf("program has %d instructions, the kernel allows %d", n, maxInstructions)
	}
	if p.Notify != (p.Flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0) {
		return fmt.Errorf("notify %v does not match flags %#x", p.Notify, p.Flags)
	}
	return nil
}

// sockFilters converts the program into the kernel's representation.
func (p *Program) sockFilters() []unix.SockFilter {
	out := make([]unix.SockFilter, len(p.Instructions))
	for i, ins := range p.Instructions {
		out[i] = unix.SockFilter{Code: ins.Code, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	return out
}
